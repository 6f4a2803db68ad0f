from pydantic import BaseModel


class Order(BaseModel):
    id: int
    quantity: int


payload = {"id": "17", "quantity": "2 pcs"}
order = Order(**payload)
