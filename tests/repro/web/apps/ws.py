from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"echo {data}")


@app.websocket("/ws/notify")
async def notify(websocket: WebSocket):
    await websocket.accept()
    await websocket.close()
    await websocket.send_text("bye")


@app.websocket("/ws/private")
async def private(websocket: WebSocket, token: str | None = None):
    if token != "s3cret":
        await websocket.close(code=1008)
        return
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()
