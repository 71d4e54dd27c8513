"""Past one machine on Ray: `qa build --cluster` and `qa serve --cluster`.

Only this package imports Ray, and only when a cluster command runs: `pip install -e '.[cluster]'`
adds `ray[data,serve]`; the default install and every other command stay without it.
"""
from __future__ import annotations

from ..errors import QAError


class ClusterError(QAError):
    """Ray is missing, the cluster cannot be reached, or a distributed step failed for good."""


def require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ClusterError("未安装 Ray / Ray is not installed: pip install -e '.[cluster]'") from None


def connect(cluster: str, **init_kwargs) -> bool:
    """Join the cluster named on the command line: 'local' starts a private Ray on this machine,
    'auto' joins the one `ray start` runs here, anything else is an address (ray://HOST:10001,
    HOST:6379). Returns True when this call started Ray (so the caller shuts it down)."""
    require_ray()
    import ray

    if ray.is_initialized():  # a test or a script already chose the cluster
        return False
    if cluster == "local":
        init_kwargs.setdefault("include_dashboard", False)
    try:
        ray.init(address=None if cluster == "local" else cluster, logging_level="ERROR", log_to_driver=False,
                 **init_kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ClusterError(f"无法连接 Ray 集群 / cannot reach the Ray cluster {cluster!r}: {e}") from e
    return True
