from pydantic import BaseModel, Field


class Order(BaseModel):
    sku: str = Field(..., regex=r"^[A-Z]{3}-\d+$")


print(Order(sku="ABC-1"))
