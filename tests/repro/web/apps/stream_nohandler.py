from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


async def rows():
    yield b"id,total\n"
    raise ValueError("row 2: total is not a number")


@app.get("/export")
def export():
    return StreamingResponse(rows())
