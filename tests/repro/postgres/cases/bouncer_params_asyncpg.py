import asyncio
import os

import asyncpg


async def main():
    conn = await asyncpg.connect(
        os.environ["DATABASE_URL"], server_settings={"application_name": "billing", "jit": "off"}
    )
    await conn.close()


asyncio.run(main())
