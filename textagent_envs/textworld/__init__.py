"""TextWorld game families (custom, tw-simple, tw-cooking, coin collector, treasure hunter)."""
