"""The media library: uploaded pictures and their stored sizes (files on disk, or bytes in the database).

Two new tables only: no existing row is read or changed.

Revision ID: afecf496e678
Revises: b5d2e8c41f07
Create Date: 2026-11-25 14:39:35.546915

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'afecf496e678'
down_revision = 'b5d2e8c41f07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('mime_type', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=500), nullable=False),
    sa.Column('decorative', sa.Boolean(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_media_uploader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_media_content_hash')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('media_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('mime_type', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_variants_media_id_media'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_variants')),
    sa.UniqueConstraint('name', name=op.f('uq_media_variants_name')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('media_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_variants_media_id'), ['media_id'], unique=False)



def downgrade():
    with op.batch_alter_table('media_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_variants_media_id'))

    op.drop_table('media_variants')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_media_created_at'))

    op.drop_table('media')
