"""Whether a Docker engine answers here, and if not, why: asked by the Docker sandbox
before it starts and by the reaper before it lists containers (its own module so that
neither imports the other)."""

from __future__ import annotations


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers here, else why (SDK missing, no daemon, permission)."""
    try:
        import docker
    except ImportError:
        return "the docker SDK is not installed (pip install 'textagent_envs[swe]')"
    try:
        client = docker.from_env(timeout=10)
    except docker.errors.DockerException as error:
        return f"no Docker engine answers ({error}); start dockerd (.ci/run does it as root)"
    try:
        client.ping()
    except Exception as error:
        text = str(error)
        if "Permission denied" in text or "PermissionError" in text:
            return f"no permission to use the Docker socket ({text}); run as root or join the docker group"
        return f"no Docker engine answers ({text}); start dockerd (.ci/run does it as root)"
    finally:
        client.close()
    return None
