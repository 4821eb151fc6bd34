"""The middle platform (业务中台): centers that each own one database, plus shared plumbing.

Every center is a package ``zhongtai/platform/<name>/`` laid out the same way (cosmicpython
style), so the next center is built by copying the pattern:

``model.py``
    Pure dataclasses, enums and rules. Imports only the standard library and the pure shared
    helpers here (``errors``, ``phone``); never SQLAlchemy, never FastAPI.
``tables.py``
    SQLAlchemy Core tables of this center only (its own ``MetaData``), including an
    ``id_counter`` table from :mod:`zhongtai.platform.ids`.
``repository.py``
    Abstract repositories plus their SQLAlchemy implementations over one ``Connection``.
``fakes.py``
    In-memory twins of the repositories and the unit of work, for unit tests (no mocks).
``uow.py``
    The center's unit of work: a :class:`zhongtai.platform.uow.SqlUnitOfWork` subclass that
    opens the repositories on the connection it owns.
``service.py``
    Plain functions ``verb_noun(uow, ...)``; each opens ``with uow:``, works on the model,
    calls ``uow.commit()``. The same functions run under HTTP and in tests.
``api.py``
    A FastAPI ``router``: parses requests into service calls and turns models into JSON.
``migrations/versions/<center>_0001_initial.py``
    Alembic revisions; the first carries ``branch_labels = ("<center>",)``.
``center.py``
    ``CENTER = Center(...)``: the one object the platform needs (see :mod:`.center`).

Shared modules: :mod:`.uow` (transactions, dry-run), :mod:`.ids` (application-generated ids),
:mod:`.columns` (UTC timestamps, fen), :mod:`.errors`, :mod:`.phone`, :mod:`.shadow`
(the ``X-Zhongtai-Shadow: dry-run`` header), :mod:`.http` (a center's FastAPI app),
:mod:`.migrations` (alembic per center), :mod:`.app` (all centers in one process),
:mod:`.clients` (how the application layer calls centers over HTTP).

Centers import nothing from each other nor from ``zhongtai.legacy``; the application layer
(gateway) orchestrates them over HTTP.
"""
