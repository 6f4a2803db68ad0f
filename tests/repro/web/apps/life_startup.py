import os
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.dsn = os.environ["DATABASE_URL"]
    yield


app = FastAPI(lifespan=lifespan)
