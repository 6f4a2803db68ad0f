from typing import Annotated

from fastapi import FastAPI, File, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: Annotated[UploadFile, File()]):
    return {"name": file.filename}
