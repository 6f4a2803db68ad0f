# Behaviours the founding runbook got wrong, checked with TestClient; prints one JSON object.
import functools
import json
import threading

import fastapi
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

app = FastAPI()
threads: list[tuple[str, int]] = []


def get_db():  # a sync generator dependency...
    threads.append(("setup", threading.get_ident()))
    try:
        yield "real-db"
    finally:
        threads.append(("teardown", threading.get_ident()))


async def get_user():
    return "real-user"


class Pager:  # a class dependency: __init__ params become query params
    def __init__(self, page: int = 1):
        self.page = page


class Checker:  # a callable instance
    def __init__(self, word: str):
        self.word = word

    def __call__(self, q: str = ""):
        return self.word in q


calls = {"n": 0}


def counted():
    calls["n"] += 1
    return calls["n"]


def uses_counted(n: int = Depends(counted)):
    return n


def make_name(name: str):
    return name


@app.get("/items")
async def items(  # ...used by an async def endpoint
    db=Depends(get_db),
    user=Depends(get_user),
    pager: Pager = Depends(),
    ok: bool = Depends(Checker("bar")),
):
    threads.append(("endpoint", threading.get_ident()))
    return {"db": db, "user": user, "page": pager.page, "ok": ok}


@app.get("/partial")
def partial(name=Depends(functools.partial(make_name, "from-partial"))):
    return {"name": name}


@app.get("/lambda")
def lam(name=Depends(lambda: "from-lambda")):
    return {"name": name}


@app.get("/cache")
def cache(a=Depends(counted), b=Depends(uses_counted), c=Depends(counted, use_cache=False)):
    return {"a": a, "b": b, "c": c}


@app.get("/comprehension", dependencies=[Depends(f) for f in (counted, get_db)])
def comprehension():
    return {"n": calls["n"]}


async def async_override():
    return "async-override-for-sync-generator"


def sync_override_with_extra_param(extra: str = "x"):
    return "sync-override-for-async-" + extra


client = TestClient(app)
out: dict = {"fastapi": fastapi.__version__}
r = client.get("/items?page=3&q=foobar")
out["sync_generator_in_async_endpoint"] = [r.status_code, r.json()]
ident = dict(threads)
out["dependency_threads"] = {
    "order": [k for k, _ in threads],
    "setup_off_endpoint_thread": ident["setup"] != ident["endpoint"],
    "teardown_off_endpoint_thread": ident["teardown"] != ident["endpoint"],
}
out["partial"] = client.get("/partial").json()
out["lambda"] = client.get("/lambda").json()
out["openapi_status"] = client.get("/openapi.json").status_code
out["cache_two_requests"] = [client.get("/cache").json(), client.get("/cache").json()]
out["comprehension"] = client.get("/comprehension").status_code
app.dependency_overrides[get_db] = lambda: "lambda-override"
app.dependency_overrides[get_user] = lambda: "sync-lambda-for-async"
out["lambda_overrides"] = client.get("/items").json()
app.dependency_overrides[get_db] = async_override
app.dependency_overrides[get_user] = sync_override_with_extra_param
out["mismatched_signature_overrides"] = client.get("/items").json()
app.dependency_overrides[get_db] = functools.partial(make_name, "partial-override")
out["partial_override"] = client.get("/items").json()
app.dependency_overrides.clear()
app.dependency_overrides["get_db"] = lambda: "never used"
out["wrong_key_override_ignored"] = client.get("/items").json()
try:
    Depends(get_db, run_sync=False)
except TypeError as exc:
    out["run_sync"] = f"TypeError: {exc}"
out["docs"] = [client.get("/docs").status_code, client.get("/docs").headers["content-type"]]
print(json.dumps(out, indent=1))
