from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AuditLog(Base):
    __tablename__ = "audit_log"
    event: Mapped[str] = mapped_column()
    created_at: Mapped[str] = mapped_column()
