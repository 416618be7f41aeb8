"""The city above the wards: a `city` table, each ward's city, school codes (mã trường), school slugs
unique per ward instead of across the database, and accounts scoped to a city.

A city row is made for each city the existing wards name, and the wards are attached to it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 18:00:00.000000

"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _slug(name: str) -> str:
    name = re.sub(r"^(thành phố|tỉnh)\s+", "", name.strip(), flags=re.IGNORECASE)
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "city"


def upgrade():
    op.create_table(
        "city",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city")),
        sa.UniqueConstraint("slug", name=op.f("uq_city_slug")),
    )
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.add_column(sa.Column("city_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_ward_city_id"), ["city_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_ward_city_id_city"), "city", ["city_id"], ["id"])
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_school_code"), ["code"])
        batch_op.drop_constraint("uq_school_slug", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_school_ward_id_slug"), ["ward_id", "slug"])
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("city_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_city_id"), ["city_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_user_city_id_city"), "city", ["city_id"], ["id"])
        batch_op.alter_column("ward_id", existing_type=sa.Integer(), nullable=True)

    connection = op.get_bind()
    ward = sa.table("ward", sa.column("id", sa.Integer), sa.column("city", sa.String), sa.column("city_id", sa.Integer))
    city = sa.table(
        "city",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("name", sa.String),
        sa.column("authority", sa.String),
    )
    for (name,) in connection.execute(sa.select(ward.c.city).distinct()).all():
        slug = _slug(name)
        authority = "Sở Giáo dục và Đào tạo " + re.sub(r"^(thành phố|tỉnh)\s+", "", name, flags=re.IGNORECASE)
        connection.execute(city.insert().values(slug=slug, name=name, authority=authority))
        city_id = connection.execute(sa.select(city.c.id).where(city.c.slug == slug)).scalar_one()
        connection.execute(ward.update().where(ward.c.city == name).values(city_id=city_id))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("ward_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_user_city_id_city"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_city_id"))
        batch_op.drop_column("city_id")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_school_ward_id_slug"), type_="unique")
        batch_op.create_unique_constraint("uq_school_slug", ["slug"])
        batch_op.drop_constraint(batch_op.f("uq_school_code"), type_="unique")
        batch_op.drop_column("code")
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_ward_city_id_city"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ward_city_id"))
        batch_op.drop_column("city_id")
    op.drop_table("city")
