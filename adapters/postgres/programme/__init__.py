"""The programme's Postgres adapter: ORM rows, repositories, the unit of work and its event publisher."""
