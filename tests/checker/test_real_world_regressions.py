"""Shapes taken from real SDKs that once drew false findings or hid real ones (docs/real-world.md).

Each folder under tests/data/regressions reduces one SDK's code to the construct that was
misread; the assertions say what the checker must (not) report about it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.ftypes import RunResult

CASES = Path(__file__).resolve().parents[1] / "data" / "regressions"


def check(case: str) -> RunResult:
    return run([CASES / case], Config())


def findings(result: RunResult, *rules: str) -> set[tuple[str, int, str]]:
    return {(v.path.name, v.line, v.rule) for v in result.violations if not rules or v.rule in rules}


def clients(result: RunResult) -> list[str]:
    return [c.split("regressions/", 1)[1] for c in result.clients]


def test_same_named_namespace_packages_are_both_checked() -> None:
    """segment/analytics and rudderstack/analytics once collapsed into one module name."""
    result = check("namespace_collision")
    assert clients(result) == [
        "namespace_collision/vendor_a/analytics/client.py:Client",
        "namespace_collision/vendor_b/analytics/client.py:OtherClient",
    ]


def test_each_client_is_judged_on_its_own_code() -> None:
    """One client's status checks must not hide another client's missing ones."""
    result = check("two_clients")
    a_client = {v.message for v in result.violations if v.path.name == "a_client.py" and v.rule == "PUB007"}
    assert len(a_client) == 1 and "429 not singled out" in a_client.pop()
    assert ("a_client.py", 21, "PUB008") in findings(result)


def test_status_mapping_helpers_off_the_delivery_path_are_not_the_classifier() -> None:
    """sentry_sdk/tracing.py maps HTTP statuses to span statuses; that is not delivery."""
    result = check("span_status_helper")
    assert not any(v.path.name == "spans.py" for v in result.violations)


def test_giveup_predicates_and_backoff_expo_count() -> None:
    """segment/rudderstack: backoff.on_exception(backoff.expo, giveup=4xx-except-409/429)."""
    result = check("giveup_predicate")
    assert not findings(result, "PUB006", "PUB007", "PUB009")


def test_urllib3_retry_with_unknown_kwargs_is_given_the_benefit_of_the_doubt() -> None:
    """mixpanel: Retry(**retry_args) where the dict holds backoff_factor."""
    assert not findings(check("retry_kwargs"), "PUB006")


def test_a_polling_component_is_not_a_delivery_retry_loop() -> None:
    """mixpanel's feature-flag poller waits an interval and fetches; it delivers no events."""
    result = check("polling_loop")
    assert not findings(result, "PUB006", "PUB007", "PUB008", "PUB009") - {("client.py", 26, "PUB006")}


def test_work_handed_to_a_timer_lambda_is_not_blocking_publish() -> None:
    """posthog/tracing: Timer(5.0, lambda: self._timer_flush()) runs on the timer's thread."""
    assert not findings(check("timer_lambda"), "PUB001")


def test_bookkeeping_appends_beside_a_put_are_not_the_buffer() -> None:
    """posthog: self.consumers.append(consumer) next to self.queue.put(msg, block=False)."""
    assert not findings(check("bookkeeping_append"), "PUB002", "PUB003")


def test_builders_unrelated_to_the_client_are_not_judged() -> None:
    """cryptography's immutable CertificateBuilder and a TestBuilder test case."""
    result = check("unrelated_builders")
    assert findings(result, "PUB015") == {("client.py", 5, "PUB015")}  # the client has no builder of its own


def test_simple_queue_put_never_blocks() -> None:
    """concurrent.futures.ThreadPoolExecutor.submit: SimpleQueue.put cannot wait."""
    assert not findings(check("simple_queue"), "PUB001", "PUB004")


def test_a_finaliser_named_callback_is_not_an_error_callback() -> None:
    """multiprocessing.util.Finalize calls self._callback(): not a user's error callback."""
    assert not findings(check("finaliser_callback"), "PUB010") - {("client.py", 16, "PUB010")}


def test_a_lane_passed_through_unannotated_parameters_is_part_of_the_client() -> None:
    """posthog: capture -> _capture(event, lane: _Lane) -> _submit_event(msg, lane) -> lane.enqueue."""
    assert clients(check("unannotated_lane")) == ["unannotated_lane/client.py:Client"]


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_no_case_crashes_or_errors(case: str) -> None:
    result = check(case)
    assert result.errors == () and result.publisher_found


def test_signal_then_join_a_draining_worker_is_a_flush() -> None:
    """opentelemetry BatchProcessor.shutdown: set the flag, wake the worker, join it; it exports the rest."""
    assert not findings(check("drain_then_join"), "PUB013")


def test_a_subclass_wrapper_does_not_hide_the_client_it_extends() -> None:
    """posthog's optional PostHogMCP(Client) once made posthog.Client count as a mere component;
    the wrapper itself is judged through the client it extends, not a second time."""
    assert clients(check("subclass_wrapper")) == ["subclass_wrapper/pkg/client.py:AClient"]


def test_a_session_returned_by_a_function_is_an_http_send() -> None:
    """posthog: (self._override or _get_session()).post(...), typed by _get_session's return annotation."""
    assert not findings(check("call_result_session"), "PUB006", "PUB007", "PUB008", "PUB009")


def test_retry_total_zero_is_no_retry() -> None:
    """posthog/request.py: Retry(total=0) switches urllib3's retries off."""
    assert [v.message for v in check("retry_total_zero").violations if v.rule == "PUB006"] == [
        "HTTP send self._session.post() is never retried: add retries with exponential backoff"
    ]


def test_calls_through_an_abstract_transport_reach_the_concrete_one() -> None:
    """sentry: Client.transport: Optional[Transport] = make_transport(); HttpTransport does the work."""
    result = check("abstract_transport")
    assert clients(result) == ["abstract_transport/client.py:Client"]
    assert not findings(result, "PUB012")
    assert findings(result, "PUB006") == {("client.py", 26, "PUB006")}  # the concrete send, never retried


def test_work_submitted_to_a_pool_is_on_the_event_path() -> None:
    """libhoney: the worker hands each batch to a thread pool through a helper taking *args."""
    assert any("only 200 counted as success" in v.message for v in check("pool_submit").violations)


def test_a_sentinel_then_join_is_a_flush() -> None:
    """libhoney close(): queue.put(None); worker.join() — the worker sends everything before the sentinel."""
    assert not findings(check("sentinel_then_join"), "PUB013")


def test_put_on_an_unbounded_queue_says_it_blocks_once_bounded() -> None:
    """concurrent.futures.process: Queue() without maxsize cannot wait yet; it will once PUB003's bound
    is added, so PUB001/PUB004 say so (and fixing PUB003 never makes new kinds of findings appear)."""
    result = check("unbounded_put")
    assert findings(result, "PUB001", "PUB003", "PUB004") == {
        ("client.py", 10, "PUB003"), ("client.py", 17, "PUB001"), ("client.py", 17, "PUB004")
    }
    assert any("once the queue gets its bound" in v.message for v in result.violations if v.rule == "PUB001")


def test_a_stack_pushed_and_popped_while_publishing_is_not_the_buffer() -> None:
    """sentry serializer: memo.append(id(o)) … memo.pop() on the caller's thread is bookkeeping."""
    result = check("memo_stack")
    assert [v.message for v in result.violations if v.rule == "PUB002"] == [
        "capture_event() sends directly: there is no queue between the caller and the network"
    ]


def test_quoted_optional_annotations_are_followed() -> None:
    """sentry spotlight: def setup(...) -> "Optional[SideClient]"; its blocking send is found."""
    assert any(v.rule == "PUB001" and v.path.name == "side.py" for v in check("quoted_optional").violations)


def test_an_opt_in_blocking_branch_names_its_condition() -> None:
    """segment/rudderstack/posthog: `if self.sync_mode:` sends on the caller's thread."""
    [message] = [v.message for v in check("sync_mode").violations if v.rule == "PUB001"]
    assert "when self.sync_mode is set" in message


def test_a_loop_over_a_list_of_components_knows_their_type() -> None:
    """posthog: flush() does `for lane in self._lanes: lane.flush()`, each lane joining its queue."""
    assert not findings(check("lanes_loop"), "PUB012")


def test_an_entry_point_of_any_name_running_a_closure_and_an_injected_pool_are_found() -> None:
    """Unseen SDKs: track_event() hands a closure to an error-boundary helper; the worker sends
    through a urllib3 pool passed in untyped. The client is found by what it does, the send is seen."""
    result = check("closure_entry_pool_param")
    assert clients(result) == ["closure_entry_pool_param/telemetry.py:Telemetry"]
    assert ("telemetry.py", 29, "PUB007") in findings(result)  # the pool's urlopen() is the send
    assert not any("no HTTP send found" in v.message for v in result.violations)


def test_a_public_method_appending_to_a_drained_deque_is_an_entry_point() -> None:
    """honeybadger: EventsWorker.push() appends to a deque the worker pops; the send is urlopen()."""
    result = check("missed_entry_name_push")
    assert clients(result) == ["missed_entry_name_push/worker.py:EventsWorker"]
    assert ("worker.py", 8, "PUB007") in findings(result)


def test_a_put_whose_block_is_decided_at_run_time_is_not_called_blocking() -> None:
    """logtail: put(event, block=not self.drop_when_full) does not block by default."""
    assert not findings(check("put_block_expression"), "PUB001", "PUB004")


def test_stopping_a_periodic_flush_timer_is_not_stopping_the_worker() -> None:
    """launchdarkly: close() stops the flush timer, then flushes, then stops the worker."""
    assert not findings(check("timer_stop_as_worker_stop"), "PUB013")


def test_a_send_behind_a_callable_is_unknown_not_missing() -> None:
    """logtail/snowplow: the transport is a callable object or a stored function: no PUB006 guess."""
    assert not findings(check("send_via_callable"), "PUB006")


def test_a_futures_session_post_does_not_block_the_caller() -> None:
    """flagsmith: FuturesSession.post() hands the request to an executor and returns a future."""
    assert not findings(check("futures_post_as_blocking"), "PUB001")


def test_a_publisher_behind_a_plugin_list_and_a_storage_provider_is_found_and_judged() -> None:
    """amplitude: track() -> timeline's plugin list -> destination plugin -> storage from
    config.get_storage() (an abstract provider) -> list buffer; the worker thread hands sends
    to a pool and puts failed events back on the buffer with an exponential delay."""
    result = check("plugin_pipeline")
    assert clients(result) == ["plugin_pipeline/pipeline/client.py:Analytics"]
    found = findings(result, "PUB005", "PUB006", "PUB009", "PUB010", "PUB015", "PUB016")
    assert found == {
        ("worker.py", 9, "PUB005"),  # ThreadPoolExecutor
        ("worker.py", 18, "PUB005"),  # Thread() without daemon
        ("worker.py", 38, "PUB010"),  # self.configuration.callback(...) on the sending pool thread
        ("events.py", 1, "PUB016"),  # Event.bump() changes an event the worker reads
    }, found  # no PUB006 (re-enqueue with 2 ** retry), PUB009 (unknown), PUB015 (add() returns self)


def test_a_status_label_the_response_handler_re_enqueues_is_a_retry_of_4xx() -> None:
    """amplitude: get_status() maps 4xx to HttpStatus.INVALID_REQUEST and process_response(res, …)
    puts those events back on the buffer in that branch (here with a constant delay: PUB006)."""
    result = check("label_dispatch")
    assert findings(result, "PUB006", "PUB009") == {("client.py", 51, "PUB006"), ("client.py", 53, "PUB009")}
    message = next(v.message for v in result.violations if v.rule == "PUB009")
    assert message.startswith("400, 401, 403, 404, 408, 410, 413, 422 are put back on the buffer") and "line 57" in message


def test_a_ring_the_caller_clears_is_not_an_event_buffer() -> None:
    """bugsnag: breadcrumbs appended on notify() and cleared by the caller; no thread empties them."""
    result = check("breadcrumb_ring")
    assert clients(result) == ["breadcrumb_ring/client.py:Client"]
    assert findings(result, "PUB002", "PUB003", "PUB004") == {("client.py", 30, "PUB002")}  # the list, not the ring


def test_a_new_notice_put_on_the_queue_after_a_failure_is_not_a_retry() -> None:
    """rollbar: a 413 makes the handler report a short notice; the failed payload is never retried."""
    assert findings(check("failure_notice"), "PUB006") == {("client.py", 18, "PUB006")}
