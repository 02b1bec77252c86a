"""calckit: small numeric and text helpers, the first SWE-Mini practice repository."""
