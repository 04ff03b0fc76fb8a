#!/usr/bin/env python3
"""Fidelity check of ocfail's Cloudflare simulator with clients nobody here wrote.

Drives the simulator through Cloudflare's official Python SDK (`cloudflare`)
and validates every response it receives against the official OpenAPI
excerpt (`tests/data/cloudflare-lb-openapi.json`, see tests/data/README.md):
200 bodies against the operation's 200 schema with openapi-core, error
bodies against the failure envelope (the spec's 4XX schemas are
allOf[success, failure] and contradict themselves).

Run by `cargo test --test integration sim_cloudflare::python_sdk_fidelity`,
which starts the simulator; prints `cloudflare sdk: N passed, M failed` last
and exits non-zero on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import cloudflare
import httpx
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC_HOST = "https://api.cloudflare.com"
BASE_PATH = "/client/v4"
# Not in the 2024 spec (docs/cloudflare-api.md, token verify): validated as
# the user-token verify operation, whose result has the same shape.
SPEC_ALIASES = {
    ("get", "/accounts/{account_id}/tokens/verify"): ("get", "/user/tokens/verify"),
}


class Checker:
    """Counts named checks and collects every response for validation."""

    def __init__(self, spec_path: Path) -> None:
        spec = json.loads(spec_path.read_text())
        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec)
        self.templates = [
            (method, path, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"))
            for path, ops in spec["paths"].items()
            for method in ops
            if method in ("get", "put", "post", "patch", "delete")
        ]
        self.responses: list[httpx.Response] = []
        self.passed = 0
        self.failures: list[str] = []
        self.validated = 0

    def capture(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def check(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            self.failures.append(f"{name}: {type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stderr)
            print(f"FAIL {name}", flush=True)
            return None
        self.passed += 1
        print(f"ok   {name}", flush=True)
        return result

    def operation(self, method: str, path: str) -> tuple[str, str] | None:
        """The spec's method and a path it routes for this request."""
        for m, _template, pattern in self.templates:
            if m == method and pattern.match(path):
                return m, path
        for (m, template), (target_method, target_path) in SPEC_ALIASES.items():
            if m == method and re.match("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$", path):
                return target_method, target_path
        return None

    def validate_all(self) -> None:
        """Validates every captured Cloudflare response, once each."""
        pending, self.responses = self.responses, []
        for resp in pending:
            path = resp.request.url.path
            if not path.startswith(BASE_PATH):
                continue  # the simulator's admin API
            name = f"openapi {resp.request.method} {path} -> {resp.status_code}"
            self.check(name, lambda resp=resp: self.validate(resp))
            self.validated += 1

    def validate(self, resp: httpx.Response) -> None:
        method = resp.request.method.lower()
        path = resp.request.url.path[len(BASE_PATH):]
        body = resp.json()
        for key in ("success", "errors", "messages", "result"):
            assert key in body, f"envelope lacks {key!r}: {body}"
        assert "retry-after" not in resp.headers or resp.status_code == 429, "Retry-After outside a 429"
        if resp.status_code != 429:
            # 429s come from the fault layer in front of the API and may lack them.
            assert "ratelimit" in resp.headers and "ratelimit-policy" in resp.headers, dict(resp.headers)
        if resp.status_code != 200:
            check_failure_envelope(body, resp.status_code)
            return
        op = self.operation(method, path)
        assert op is not None, f"no operation {method.upper()} {path} in the spec"
        spec_method, spec_path = op
        request = MockRequest(SPEC_HOST, spec_method, BASE_PATH + spec_path)
        response = MockResponse(
            resp.content,
            status_code=200,
            headers={"content-type": resp.headers.get("content-type", "")},
            content_type="application/json",
        )
        self.openapi.validate_response(request, response)


def check_failure_envelope(body: dict[str, Any], status: int) -> None:
    assert body["success"] is False, body
    assert body["result"] is None, body
    assert isinstance(body["messages"], list), body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    for e in errors:
        # The spec says codes are >= 1000, but Cloudflare's real 429 carries
        # 971 (docs/cloudflare-api.md, errors); the simulator copies the real API.
        minimum = 971 if status == 429 else 1000
        assert isinstance(e.get("code"), int) and e["code"] >= minimum, e
        assert isinstance(e.get("message"), str) and e["message"], e
        for chained in e.get("error_chain", []):
            assert isinstance(chained.get("code"), int) and isinstance(chained.get("message"), str), chained


def expect_error(kind: type[Exception], status: int, code: int, fn: Callable[[], Any]) -> None:
    try:
        fn()
    except kind as e:
        assert e.status_code == status, e.status_code  # type: ignore[attr-defined]
        codes = [err["code"] for err in e.body["errors"]]  # type: ignore[attr-defined]
        assert code in codes, codes
        return
    raise AssertionError(f"expected {kind.__name__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the simulator's /client/v4 URL")
    parser.add_argument("--admin-url", required=True, help="the simulator's admin URL")
    parser.add_argument("--account", required=True)
    parser.add_argument("--zone", required=True)
    parser.add_argument("--spec", type=Path, help="OpenAPI excerpt (default: tests/data/cloudflare-lb-openapi.json)")
    args = parser.parse_args()
    repo_root = Path(__file__).resolve().parents[2]
    spec = args.spec or repo_root / "tests/data/cloudflare-lb-openapi.json"
    if not spec.is_file():
        print(f"cloudflare sdk: OpenAPI excerpt not found at {spec}", file=sys.stderr)
        return 2

    c = Checker(spec)
    http = httpx.Client(event_hooks={"response": [c.capture]}, timeout=10)
    admin = httpx.Client(base_url=args.admin_url, timeout=10)

    def client(token: str = "sim-token", retries: int = 0) -> cloudflare.Cloudflare:
        return cloudflare.Cloudflare(api_token=token, base_url=args.base_url, http_client=http, max_retries=retries)

    cf = client()
    acct, zone = args.account, args.zone
    lbs = cf.load_balancers

    c.check("user token verify", lambda: _eq(cf.user.tokens.verify().status, "active"))
    c.check("account token verify", lambda: _eq(cf.accounts.tokens.verify(account_id=acct).status, "active"))
    pools = c.check("list pools", lambda: list(lbs.pools.list(account_id=acct))) or []
    c.check("three pools in manifest order", lambda: _eq(
        [p.name for p in pools], ["openclaw-us-east-1", "openclaw-eu-central-1", "openclaw-ap-southeast-2"]))
    for p in pools:
        c.check(f"get pool {p.name}", lambda p=p: _eq(lbs.pools.get(p.id, account_id=acct).id, p.id))
        health = c.check(f"pool health {p.name}", lambda p=p: lbs.pools.health.with_raw_response.get(p.id, account_id=acct))
        if health is not None:
            c.check(f"pool health shape {p.name}", lambda h=health, p=p: check_pop_health(h.http_response.json()["result"], p))
    monitors = c.check("list monitors", lambda: list(lbs.monitors.list(account_id=acct))) or []
    c.check("one seeded monitor", lambda: _eq([(m.type, m.path, m.expected_codes) for m in monitors], [("http", "/healthz", "2xx")]))
    for m in monitors:
        c.check("get monitor", lambda m=m: _eq(lbs.monitors.get(m.id, account_id=acct).id, m.id))
    balancers = c.check("list load balancers", lambda: list(lbs.list(zone_id=zone))) or []
    for lb in balancers:
        got = c.check("get load balancer", lambda lb=lb: lbs.get(lb.id, zone_id=zone))
        c.check("LB fails over in manifest order", lambda got=got: _eq(got.default_pools, [p.id for p in pools]))
        check_adaptive_routing(c, lbs, lb, zone)

    if pools:
        first, second = pools[0], pools[1]
        route = lambda: admin.get("/_sim/route").json()["region"]  # noqa: E731
        edited = c.check("disable a pool", lambda: lbs.pools.edit(first.id, account_id=acct, enabled=False))
        c.check("disabled pool has disabled_at", lambda: _true(edited.enabled is False and edited.disabled_at is not None))
        c.check("LB moved to the next pool", lambda: _eq(route(), second.origins[0].name))
        edited = c.check("re-enable the pool", lambda: lbs.pools.edit(first.id, account_id=acct, enabled=True))
        c.check("enabled pool has no disabled_at", lambda: _true(edited.enabled is True and edited.disabled_at is None))
        c.check("LB back on the first pool", lambda: _eq(route(), first.origins[0].name))

        preview = c.check("preview a pool", lambda: lbs.pools.health.create(
            first.id, account_id=acct, expected_codes="2xx", path="/healthz", type="http", method="GET"))
        if preview is not None:
            raw = c.check("preview result", lambda: lbs.previews.with_raw_response.get(preview.preview_id, account_id=acct))
            c.check("preview is healthy", lambda: _eq(raw.http_response.json()["result"][first.id]["healthy"], True))
        if monitors:
            c.check("preview a monitor", lambda: _eq(len(lbs.monitors.previews.create(
                monitors[0].id, account_id=acct, expected_codes="2xx", path="/healthz").pools or {}), len(pools)))

        expect = lambda name, *a: c.check(name, lambda: expect_error(*a))  # noqa: E731
        expect("invalid token is 401/1000", cloudflare.AuthenticationError, 401, 1000,
               lambda: client("invalid").user.tokens.verify())
        expect("read-only token cannot write (403/10000)", cloudflare.PermissionDeniedError, 403, 10000,
               lambda: client("read-only").load_balancers.pools.edit(first.id, account_id=acct, enabled=False))
        expect("unknown pool is 404", cloudflare.NotFoundError, 404, 1003,
               lambda: lbs.pools.get("f" * 32, account_id=acct))
        expect("invalid pool name is 400/1002", cloudflare.BadRequestError, 400, 1002,
               lambda: lbs.pools.edit(first.id, account_id=acct, name="no spaces"))

    # The 429 path: without retries the SDK raises; with them it waits out
    # Retry-After and succeeds.
    def burst(n: int) -> None:
        admin.put("/_sim/faults/cloudflare", json={"rateLimitBurst": n, "retryAfterSecs": 1}).raise_for_status()

    def rate_limited() -> None:
        burst(1)
        try:
            list(lbs.pools.list(account_id=acct))
        except cloudflare.RateLimitError as e:
            assert e.response.headers.get("retry-after") == "1", dict(e.response.headers)
            assert e.body["errors"][0]["code"] == 971, e.body
            return
        raise AssertionError("expected cloudflare.RateLimitError")

    def retried() -> None:
        burst(2)
        started = time.monotonic()
        got = list(client(retries=2).load_balancers.pools.list(account_id=acct))
        waited = time.monotonic() - started
        assert len(got) == len(pools), got
        assert waited >= 1.9, f"retried after {waited:.2f}s, before Retry-After"

    c.check("429 without retries raises RateLimitError", rate_limited)
    c.check("429 with retries honours Retry-After", retried)
    admin.delete("/_sim/faults/cloudflare")

    c.validate_all()
    print(f"validated {c.validated} responses against {spec.name}")
    for f in c.failures:
        print(f"FAILED: {f}", file=sys.stderr)
    print(f"cloudflare sdk: {c.passed} passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


def check_adaptive_routing(c: Checker, lbs: Any, lb: Any, zone: str) -> None:
    """`adaptive_routing.failover_across_pools` reads, PATCHes and PUTs (issue 14)."""
    across = lambda got: got.adaptive_routing.failover_across_pools  # noqa: E731
    c.check("adaptive_routing defaults to false", lambda: _eq(across(lb), False))
    on = {"failover_across_pools": True}
    edited = c.check("PATCH failover_across_pools on", lambda: lbs.edit(lb.id, zone_id=zone, adaptive_routing=on))
    c.check("PATCH answers it on", lambda: _eq(across(edited), True))
    c.check("GET shows it on", lambda: _eq(across(lbs.get(lb.id, zone_id=zone)), True))
    c.check("list shows it on", lambda: _eq([across(x) for x in lbs.list(zone_id=zone) if x.id == lb.id], [True]))
    put = lambda **extra: lbs.update(  # noqa: E731
        lb.id, zone_id=zone, name=lb.name, default_pools=lb.default_pools, fallback_pool=lb.fallback_pool,
        description=lb.description, proxied=lb.proxied, steering_policy=lb.steering_policy, **extra)
    c.check("PUT without it resets it to false", lambda: _eq(across(put()), False))
    c.check("PUT with it sets it", lambda: _eq(across(put(adaptive_routing=on)), True))
    off = {"failover_across_pools": False}
    c.check("PATCH it off again", lambda: _eq(across(lbs.edit(lb.id, zone_id=zone, adaptive_routing=off)), False))


def check_pop_health(result: dict[str, Any], pool: Any) -> None:
    """The spec example's shape (docs/cloudflare-api.md, pool health): label → {healthy, origins: [{address: {...}}]}."""
    assert result["pool_id"] == pool.id, result
    pops = result["pop_health"]
    assert isinstance(pops, dict) and pops, result
    for label, pop in pops.items():
        assert isinstance(pop["healthy"], bool), (label, pop)
        for origin in pop["origins"]:
            ((address, data),) = origin.items()
            assert address == pool.origins[0].address, address
            assert re.fullmatch(r"\d+(\.\d+)?ms", data["rtt"]), data
            assert {"healthy", "failure_reason", "response_code"} <= data.keys(), data


def _eq(got: Any, want: Any) -> None:
    assert got == want, f"got {got!r}, want {want!r}"


def _true(cond: bool) -> None:
    assert cond


if __name__ == "__main__":
    sys.exit(main())
