from fastapi import BackgroundTasks, FastAPI

app = FastAPI()


def send_welcome_email(to: str) -> None:
    raise ConnectionRefusedError(111, "Connection refused")


@app.post("/signup")
def signup(background_tasks: BackgroundTasks):
    background_tasks.add_task(send_welcome_email, "new-user@example.com")
    return {"status": "queued"}


@app.post("/signup-sync")
def signup_sync():
    send_welcome_email("new-user@example.com")
    return {"status": "sent"}
