"""Prometheus metrics of one app, in its own registry (two apps in one process, as in
the tests, must not share or clash over counters)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "heron_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "heron_http_request_seconds",
            "Time to the end of the response, by route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.points = Counter(
            "heron_ingested_points", "Metric points ingested.", registry=self.registry
        )
        self.batches = Counter(
            "heron_ingested_batches",
            "Batches received, by outcome (applied, duplicate).",
            ["outcome"],
            registry=self.registry,
        )
        self.subscribers = Gauge(
            "heron_event_subscribers", "Live event streams open.", registry=self.registry
        )
        self.queue_depth = Gauge(
            "heron_event_queue_depth",
            "Events waiting in subscriber queues, summed.",
            registry=self.registry,
        )
        self.dropped = Counter(
            "heron_event_subscribers_dropped",
            "Event streams closed because the client read too slowly.",
            registry=self.registry,
        )
        self.crashed = Counter(
            "heron_runs_marked_crashed",
            "Runs the reaper marked crashed (heartbeat stopped).",
            registry=self.registry,
        )

    def watch_hub(self, subscribers: Callable[[], int], depth: Callable[[], int]) -> None:
        self.subscribers.set_function(subscribers)
        self.queue_depth.set_function(depth)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every request by its route *template* (``/api/v1/runs/{run_id}``), so that
    run ids do not explode the label space; unmatched paths count as ``<unmatched>``."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, prefixes: dict[int, str]) -> None:
        self.app = app
        self.metrics = metrics
        self.prefixes = prefixes  # id(route) -> the prefix its router was included under

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_template(scope, self.prefixes)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)


def _route_template(scope: Scope, prefixes: dict[int, str]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return prefixes.get(id(route), "") + path
    return "<unmatched>"
