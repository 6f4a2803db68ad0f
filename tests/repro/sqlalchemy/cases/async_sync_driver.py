import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def main():
    engine = create_async_engine("sqlite:///app.db")
    async with engine.connect() as conn:
        await conn.execute(text("select 1"))


asyncio.run(main())
