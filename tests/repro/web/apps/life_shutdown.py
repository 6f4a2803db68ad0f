from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    raise RuntimeError("flush of metrics buffer failed")


app = FastAPI(lifespan=lifespan)
