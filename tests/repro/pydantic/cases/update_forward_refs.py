from typing import Optional

from pydantic import BaseModel


class Node(BaseModel):
    value: int
    parent: Optional["Tree"] = None


class Tree(BaseModel):
    root: Node


Node.update_forward_refs()
print(Node(value=1))
