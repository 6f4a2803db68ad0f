import asyncio
import gc
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")


async def handle_request(engine):
    conn = await engine.connect()
    await conn.execute(text("select 1"))
    # no await conn.close(): the connection is dropped with the frame


async def main():
    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    for _ in range(3):
        await handle_request(engine)
    gc.collect()
    await engine.dispose()


asyncio.run(main())
