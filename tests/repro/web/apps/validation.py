from fastapi import Body, FastAPI
from pydantic import BaseModel

app = FastAPI()


class Customer(BaseModel):
    name: str


class Item(BaseModel):
    name: str
    price: float


class Order(BaseModel):
    item: str
    customer: Customer


@app.post("/search")
def search(q: str):
    return {"q": q}


@app.get("/search")
def search_get(q: str):
    return {"q": q}


@app.post("/rename")
def rename(name: str = Body()):
    return {"name": name}


@app.post("/items")
def add_item(item: Item):
    return item


@app.post("/orders")
def add_order(order: Order):
    return order
