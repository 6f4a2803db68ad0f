from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/items")
def list_items():
    return []


@app.get("/users/{user_id}")
def get_user(user_id: int):
    return {"id": user_id}


@app.get("/users/me")
def me():  # never reached: /users/{user_id} above matches first
    return {"id": "me"}


@app.post("/orders/")
def create_order():
    return {"created": True}


@app.get("/old-orders")
def old_orders():
    return RedirectResponse("/orders-archive", status_code=307)
