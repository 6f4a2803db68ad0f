import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from models import Base, User


async def main():
    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()
    session = async_sessionmaker(engine)()

    async def handle_request(n):
        session.add(User(name=f"user{n}"))
        await session.commit()
        return (await session.execute(select(User))).all()

    await asyncio.gather(*(handle_request(n) for n in range(5)))
    await engine.dispose()


asyncio.run(main())
