"""`qa serve --cluster`: the Assistant as a Ray Serve deployment with N replicas behind the same page.

Two deployments make one Serve application:
- `Assistant`: N replicas. Each reads the index read-only from the shared index folder and loads
  the model once. It answers `ask` calls.
- `Page`: the ingress. It mounts the usual Gradio page (the same HTML, the same `/ask` API, so
  gradio_client works unchanged) on a FastAPI app served by Serve's HTTP proxy. Its Assistant is a
  stand-in that holds the index's documents and figures for the page and sends every question to
  the replicas through a DeploymentHandle, which balances them.

For a cluster managed by KubeRay or `ray up`, `app_builder` is the import path a Serve config
names (see docs/SCALE.md).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from ..answer import Assistant
from ..config import Settings
from ..errors import QuestionError
from ..index import Index, load_index
from . import ClusterError, connect
from .build import ModelSpec

log = logging.getLogger("qa.cluster")

APP_NAME = "qa"
ASK_TIMEOUT_S = 60.0  # a replica that takes longer is stuck: the page shows its internal-error message


@dataclass(frozen=True)
class Refusal:
    """A QuestionError crossing the process boundary (Ray would wrap the exception itself)."""

    zh: str
    en: str


class AssistantReplica:
    """One copy of the Assistant on the cluster; it never writes the index."""

    def __init__(self, settings: Settings, model_factory: Callable[[], Any] | None = None) -> None:
        index = load_index(settings.index_dir)
        model = (model_factory or ModelSpec(settings.model, str(settings.model_cache_dir), settings.encoder,
                                              settings.encoder_threads))()
        if model.info.fingerprint != index.manifest.model_fingerprint:
            raise ClusterError(f"索引与模型不符 / the index in {settings.index_dir} was built with "
                               f"{index.manifest.model_name}, not {model.info.name}: run `qa build --cluster`")
        self.assistant = Assistant(index, model, settings).warm()

    def ask(self, question: str, top_k: int | None = None, mode: str | None = None,
            doc: str | None = None, context: Any = None) -> Any:
        try:
            return self.assistant.ask(question, top_k=top_k, mode=mode, doc=doc, context=context)
        except QuestionError as e:
            return Refusal(e.zh, e.en)


class RemoteAssistant(Assistant):
    """The page's Assistant on the ingress: documents and figures from the index, answers from
    the replicas (so the ingress needs no model)."""

    def __init__(self, index: Index, replicas: Any, settings: Settings) -> None:
        super().__init__(index, None, settings)
        self.replicas = replicas

    def ask(self, question: str, top_k: int | None = None, mode: str | None = None, doc: str | None = None,
            context: Any = None):
        result = self.replicas.ask.remote(question, top_k, mode, doc, context).result(timeout_s=ASK_TIMEOUT_S)
        if isinstance(result, Refusal):
            raise QuestionError(result.zh, result.en)
        return result


def mount_page(assistant: Assistant, concurrency: int) -> Any:
    """The one place that knows the web page: its public builder, mounted on a FastAPI app with the
    options its Blocks would otherwise set in launch() (theme, CSS, head, no error details)."""
    import gradio as gr
    from fastapi import FastAPI

    from starlette.middleware import Middleware

    from ..web.app import build_app, page_options
    from ..web.security import SecurityHeaders

    blocks = build_app(assistant, concurrency=concurrency)
    return gr.mount_gradio_app(FastAPI(middleware=[Middleware(SecurityHeaders)]), blocks, path="/", **page_options())


class Page:
    """The ingress deployment: the page over the replicas."""

    def __init__(self, replicas: Any, settings: Settings, concurrency: int) -> None:
        self.replicas = replicas
        self.settings = settings
        self.concurrency = concurrency

    def __serve_build_asgi_app__(self) -> Any:
        index = load_index(self.settings.index_dir)
        return mount_page(RemoteAssistant(index, self.replicas, self.settings), self.concurrency)


def application(settings: Settings, replicas: int, model_factory: Callable[[], Any] | None = None) -> Any:
    """The Serve application: the page ingress bound to `replicas` Assistant replicas."""
    from ray import serve

    if replicas < 1:
        raise ClusterError(f"replicas 必须 ≥ 1 / --replicas must be at least 1, not {replicas}")
    cpus = settings.cluster_cpus
    assistant = serve.deployment(AssistantReplica, name="Assistant", num_replicas=replicas,
                                 ray_actor_options={"num_cpus": cpus})
    page = serve.deployment(serve.ingress()(Page), name="Page", num_replicas=1,
                            ray_actor_options={"num_cpus": min(cpus, 0.5)})
    # each replica answers one question at a time (the model is locked); keep a few per replica moving
    return page.bind(assistant.bind(settings, model_factory), settings, max(4, 2 * replicas))


def app_builder(args: dict[str, str]) -> Any:
    """Entry point for a Serve config file (`import_path: qa.cluster.serve:app_builder`); args:
    index_dir, replicas, cluster_cpus, model, model_cache_dir (all optional; QA_* env vars apply)."""
    replicas = int(args.get("replicas", 0)) or None
    settings = Settings.from_env(**{k: v for k, v in args.items() if k != "replicas"})
    return application(settings, replicas or settings.replicas)


def serve_on_cluster(settings: Settings, cluster: str = "local", replicas: int | None = None,
                     host: str = "127.0.0.1", port: int = 8000,
                     model_factory: Callable[[], Any] | None = None, proxy_location: str | None = None) -> str:
    """Deploy the application on `cluster` and return the page's URL; it keeps running until
    `stop()` (or, for a cluster this call started, until this process exits). `proxy_location`:
    Serve's (default: an HTTP proxy on every node; "HeadOnly" for one entry point)."""
    from ..index import read_manifest

    read_manifest(settings.index_dir)  # a clear error now instead of replicas failing one by one
    connect(cluster)
    import ray
    from ray import serve

    replicas = replicas or settings.replicas
    need = replicas * settings.cluster_cpus + min(settings.cluster_cpus, 0.5)
    have = float(ray.cluster_resources().get("CPU", 0))
    if need > have:
        msg = (f"{replicas} 个副本需要 {need:g} CPU,集群只有 {have:g} / {replicas} replicas and the page need "
               f"{need:g} CPUs, the cluster has {have:g}: use --cpus {max(0.1, (have - 0.5) / replicas):.2g}")
        if cluster == "local":  # nothing will join a private cluster: Serve would wait forever
            raise ClusterError(msg)
        log.warning("%s (waiting for the autoscaler or new nodes)", msg)

    try:
        serve.start(http_options={"host": host, "port": port},
                    **({"proxy_location": proxy_location} if proxy_location else {}))
        serve.run(application(settings, replicas, model_factory), name=APP_NAME,
                  route_prefix="/")
    except Exception as e:  # noqa: BLE001 - Serve raises many kinds; the user needs the reason
        raise ClusterError(f"Ray Serve 部署失败 / Serve deployment failed: {type(e).__name__}: {e}") from e
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}/"


def stop() -> None:
    from ray import serve

    serve.delete(APP_NAME)
