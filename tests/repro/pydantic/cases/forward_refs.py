from typing import Optional

from pydantic import BaseModel


class Node(BaseModel):
    value: int
    parent: Optional["Tree"] = None


node = Node(value=1)
