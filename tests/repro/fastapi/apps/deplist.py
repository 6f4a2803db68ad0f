# dependencies=[...] given the bare function instead of Depends(function).
from fastapi import FastAPI, Header, HTTPException

app = FastAPI()


def verify_token(x_token: str = Header()):
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="bad token")


@app.get("/orders", dependencies=[verify_token])
def list_orders():
    return []
