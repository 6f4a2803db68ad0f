# A module where `Depends` is shadowed by a local helper: the parameter's default becomes the
# function object itself and FastAPI never calls it.
from fastapi import APIRouter, Depends

router = APIRouter()


class Database:
    def execute(self, sql: str) -> list:
        return [(1,)]


def get_db():
    yield Database()


def Depends(dependency):  # noqa: F811 - the bug being reproduced: shadows fastapi.Depends
    return dependency


@router.get("/invoices")
def list_invoices(db=Depends(get_db)):
    return {"rows": db.execute("select 1")}
