"""The shop's tables, the engine for SQLite or PostgreSQL, and the seed catalogue.

SQLite (a file under the data directory) is the default; ``DATABASE_URL`` selects another
database, e.g. ``postgresql://user@host/shop`` (driven by psycopg 3).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import (
    Engine,
    ForeignKey,
    Integer,
    String,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from kansoku import conventions

_log = logging.getLogger(__name__)
_SQLITE_BUSY_TIMEOUT_SECONDS = 15  # writers queue instead of failing with "database is locked"


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500))
    price_cents: Mapped[int]
    stock: Mapped[int]


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))
    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartItem.product_id"
    )


class CartItem(Base):
    __tablename__ = "cart_items"

    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]
    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    subtotal_cents: Mapped[int]
    discount_cents: Mapped[int]
    tax_cents: Mapped[int]
    shipping_cents: Mapped[int]
    total_cents: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))
    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.product_id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_price_cents: Mapped[int]
    quantity: Mapped[int]


# sku, name, description, price in cents. Stock is generous so a long load run keeps selling.
CATALOGUE: tuple[tuple[str, str, str, int], ...] = (
    ("TEA-SENCHA", "Sencha", "Steamed green tea from Shizuoka, 100 g.", 1200),
    ("TEA-HOJI", "Hojicha", "Roasted green tea with a nutty finish, 100 g.", 1100),
    ("TEA-MATCHA", "Matcha", "Stone-ground ceremonial grade, 30 g.", 2800),
    ("TEA-GENMAI", "Genmaicha", "Green tea with toasted rice, 150 g.", 900),
    ("CUP-YUNOMI", "Yunomi", "Tall handleless tea cup, glazed stoneware.", 1800),
    ("POT-KYUSU", "Kyusu", "Side-handled clay teapot, 300 ml.", 6500),
    ("WHISK-CHASEN", "Chasen", "Bamboo whisk, 80 prongs.", 2200),
    ("BOWL-CHAWAN", "Chawan", "Hand-thrown tea bowl.", 7400),
    ("SCOOP-CHASHAKU", "Chashaku", "Bamboo tea scoop.", 800),
    ("TRAY-CHABON", "Chabon", "Wooden tea tray.", 3900),
    ("CADDY-NATSUME", "Natsume", "Lacquered tea caddy.", 5200),
    ("CLOTH-FUKUSA", "Fukusa", "Silk cloth for the ceremony.", 1500),
)
SEED_STOCK = 1_000_000


def database_url(environ: Mapping[str, str], data_dir: Path) -> str:
    """``DATABASE_URL`` if set (``postgres://`` spellings mapped to psycopg 3), else SQLite."""
    url = environ.get(conventions.ENV_DATABASE_URL, "").strip()
    if not url:
        return f"sqlite:///{data_dir / 'shop' / 'shop.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """An engine with settings that keep concurrent requests from failing on SQLite."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if url not in ("sqlite://", "sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_schema_and_seed(engine: Engine) -> None:
    """Create missing tables and, on an empty catalogue, insert the seed products."""
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Product)):
            return
        session.add_all(
            Product(sku=sku, name=name, description=text, price_cents=price, stock=SEED_STOCK)
            for sku, name, text, price in CATALOGUE
        )
        try:
            session.commit()
        except IntegrityError:
            # Another replica seeded at the same moment; its rows are the same.
            session.rollback()
    _log.info("database ready (%s)", engine.url.render_as_string(hide_password=True))
