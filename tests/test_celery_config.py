"""The Celery app carries the reliability settings of DESIGN.md."""

from factcheck.celery import app


def test_celery_app_has_the_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.broker_transport_options["socket_connect_timeout"] <= 5
    assert conf.timezone == "UTC"


def test_celery_declares_the_named_queues_and_routes_triage_to_intake():
    assert {q.name for q in app.conf.task_queues} == {
        "intake",
        "default",
        "email",
        "webhooks",
        "fetch",
    }
    assert app.conf.task_default_queue == "default"
    app.loader.import_default_modules()
    assert "claims.triage" in app.tasks
    route = app.amqp.router.route({}, "claims.triage")
    assert route["queue"].name == "intake"


def test_unix_socket_redis_url_becomes_a_celery_socket_url():
    from factcheck.settings import celery_broker_url

    assert (
        celery_broker_url("unix:///tmp/r.sock?db=15")
        == "redis+socket:///tmp/r.sock?virtual_host=15"
    )
    assert celery_broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
