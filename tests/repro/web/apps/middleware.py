from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

app = FastAPI()


@app.middleware("http")
async def add_timing(request: Request, call_next):
    response = await call_next(request)
    if request.url.path == "/report":
        response.headers["x-took"] = "1"  # bug: the response is never returned
    else:
        return response


async def legacy_app(scope, receive, send):
    # a mounted raw ASGI app that returns without sending a response
    return


app.mount("/legacy", legacy_app)


async def rows():
    yield b"id,total\n"
    raise ValueError("row 2: total is not a number")


async def rows_ok():
    yield b"id,total\n"


@app.exception_handler(ValueError)
async def value_error_handler(request: Request, exc: ValueError):
    return JSONResponse({"error": str(exc)}, status_code=400)


@app.get("/export")
def export():
    return StreamingResponse(rows())


@app.get("/export-ok")
def export_ok():
    return StreamingResponse(rows_ok())


@app.get("/report")
def report():
    return {"ok": True}


@app.get("/price")
def price():
    discount = None
    return {"price": discount(100)}
