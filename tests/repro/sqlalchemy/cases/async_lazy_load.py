import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from models import Base, User


async def main():
    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    Session = async_sessionmaker(engine, expire_on_commit=False)
    async with Session() as session:
        session.add(User(name="ann"))
        await session.commit()
    async with Session() as session:
        user = (await session.scalars(select(User))).first()
        print(user.addresses)
    await engine.dispose()


asyncio.run(main())
