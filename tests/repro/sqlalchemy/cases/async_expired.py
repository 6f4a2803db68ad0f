import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from models import Base, User


async def main():
    engine = create_async_engine("sqlite+aiosqlite:///app.db")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    Session = async_sessionmaker(engine)
    async with Session() as session:
        user = User(name="ann")
        session.add(user)
        await session.commit()
        print(user.name)
    await engine.dispose()


asyncio.run(main())
