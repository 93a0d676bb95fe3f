use super::*;
use crate::history::{EventKind, Value};

fn edn(text: &str) -> Parsed {
    read(text, Format::Edn, false).unwrap()
}

#[test]
fn reads_edn_lines_and_skips_the_nemesis() {
    let text = "{:process 0, :type :invoke, :f :write, :value 3, :time 10}\n\
                {:process :nemesis, :type :info, :f :start, :value \"partitioned\"}\n\
                {:process 0 :type :ok :f :write :value 3 :error {:why [1 2]}}\n\
                {:process 1, :type :invoke, :f :cas, :value [3 4], :key 7}\n";
    let p = edn(text);
    let h = &p.history;
    assert_eq!(h.events.len(), 3);
    assert_eq!(h.events[0].op.value, Value::Int(3));
    assert_eq!(h.events[0].time_ns, 10);
    assert_eq!(h.events[2].op.value, Value::List(vec![3, 4]));
    assert_eq!(h.events[2].op.key, Some(7));
    assert!(h.names.jepsen);
    assert_eq!(&text[p.spans[1].clone()], "{:process 0 :type :ok :f :write :value 3 :error {:why [1 2]}}");
}

#[test]
fn keywords_strings_and_string_keys() {
    let text = "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n\
                {:process 9, :type :info, :f :append, :key \"0\", :value :timed-out}\n\
                {:process 5, :type :invoke, :f :get, :key \"b\", :value nil}\n\
                {:process 5, :type :ok, :f :get, :key \"b\", :value \"\"}\n";
    let h = edn(text).history;
    assert_eq!(h.events[0].op.value, Value::Str("x 9 0 y".into()));
    assert_eq!(h.events[1].op.value, Value::Keyword("timed-out".into()));
    assert_eq!(h.events[0].op.key, Some(0));
    assert_eq!(h.events[2].op.key, Some(1));
    assert_eq!(h.key_name(0), "key \"0\"");
    assert_eq!(h.key_name(1), "key \"b\"");
    assert_eq!(h.process_name(9), "process 9");
}

#[test]
fn independent_tuples_become_keys() {
    let text = "[{:index 0, :time 5, :process 0, :type :invoke, :f :write, :value [2 3], :node \"n1\"}\n\
                 {:index 1, :time 9, :process 0, :type :ok, :f :write, :value [2 3]}\n\
                 {:index 2, :time 12, :process 1, :type :invoke, :f :cas, :value [5 [1 2]]}\n\
                 {:index 3, :time 20, :process 1, :type :info, :f :cas, :value [5 [1 2]], :error :timeout}]";
    let h = edn(text).history;
    assert_eq!(h.events.len(), 4);
    assert_eq!((h.events[0].op.key, &h.events[0].op.value), (Some(2), &Value::Int(3)));
    assert_eq!((h.events[2].op.key, &h.events[2].op.value), (Some(5), &Value::List(vec![1, 2])));
    assert_eq!(h.key_name(5), "key 5");
    assert_eq!(Format::detect(text), Format::Edn);
}

#[test]
fn a_plain_cas_register_history_is_not_taken_for_tuples() {
    let text = "{:process 0, :type :invoke, :f :cas, :value [1 2]}\n\
                {:process 1, :type :invoke, :f :read, :value nil}\n";
    let h = edn(text).history;
    assert_eq!(h.events[0].op.key, None);
    assert_eq!(h.events[0].op.value, Value::List(vec![1, 2]));
}

#[test]
fn reads_jepsen_log_lines_of_both_layouts_among_others() {
    let text = "2017-01-01 INFO  jepsen.core - Running test\n\
                INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\
                INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n\
                INFO  jepsen.util - 3\t:fail\t:cas\t[1 4]\n\
                INFO  jepsen.util - 2\t:invoke\t:write\t1\n\
                INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n\
                2017-02-24 16:14:06,446{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 4\t:invoke\t:read\tnil\n\
                2017-02-24 16:14:06,450{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 4\t:ok\t:read\t2\n\
                INFO  jepsen.util - 5\t:invoke\t:read\tnil\n\
                INFO  jepsen.util - 5\t:fail\t:read\t:timed-out\tjava.net.SocketTimeoutException: Read timed out\n";
    let p = read(text, Format::JepsenLog, false).unwrap();
    let h = &p.history;
    assert_eq!(h.events.len(), 8);
    assert_eq!(h.events[1].kind, EventKind::Fail);
    assert_eq!(h.events[3].op.value, Value::Keyword("timed-out".into()));
    assert_eq!(h.events[5].op.value, Value::Int(2));
    assert_eq!(h.events[7].kind, EventKind::Fail);
    assert_eq!(Format::detect(text), Format::JepsenLog);
    assert!(text[p.spans[4].clone()].ends_with("jepsen.util: 4\t:invoke\t:read\tnil"));
}

#[test]
fn log_lines_that_look_like_operations_are_never_skipped() {
    let bad_type = "INFO  jepsen.util - 3\t:invoke\t:read\tnil\nINFO  jepsen.util - 3\t:okay\t:read\t1\n";
    let e = read(bad_type, Format::JepsenLog, false).unwrap_err();
    assert_eq!(e.offset, bad_type.find(":okay").unwrap());
    assert!(e.message.contains("`:okay` is not an operation type"), "{e:?}");
    let bad_process = "INFO  jepsen.util - 3x\t:invoke\t:read\tnil\n";
    let e = read(bad_process, Format::JepsenLog, false).unwrap_err();
    assert_eq!(e.offset, bad_process.find("3x").unwrap());
    let bad_value = "INFO  jepsen.util - 3\t:invoke\t:write\t[1 2\n";
    assert!(read(bad_value, Format::JepsenLog, false).unwrap_err().message.contains("never closed"));
}

#[test]
fn strict_refuses_lines_that_are_not_operations() {
    let text = "INFO  jepsen.core - Running test\nINFO  jepsen.util - 3\t:invoke\t:read\tnil\n";
    assert_eq!(read(text, Format::JepsenLog, false).unwrap().history.events.len(), 1);
    let e = read(text, Format::JepsenLog, true).unwrap_err();
    assert_eq!((e.offset, e.len), (0, "INFO  jepsen.core - Running test".len()));
    let nemesis =
        "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\nINFO  jepsen.util - 3\t:invoke\t:read\tnil\n";
    assert!(read(nemesis, Format::JepsenLog, true).is_ok(), "the nemesis's operations are operations");
}

#[test]
fn no_operation_is_an_error() {
    for (text, format) in [
        ("", Format::JepsenLog),
        ("The quick brown fox.\n", Format::JepsenLog),
        ("name = \"x\"\nnodes = 3\n", Format::JepsenLog),
        ("[]", Format::Dsim),
        ("{:process :nemesis, :type :info, :f :start}", Format::Edn),
    ] {
        let e = read(text, format, false).unwrap_err();
        assert!(e.message.contains("no operation"), "{text:?}: {e:?}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped_and_bad_utf8_located() {
    let text = "\u{feff}{:process 0, :type :invoke, :f :read, :value nil}\n";
    let decoded = decode(text.as_bytes()).unwrap();
    assert_eq!(Format::detect(decoded), Format::Edn);
    assert_eq!(read(decoded, Format::Edn, false).unwrap().history.events.len(), 1);
    let bytes = b"{:process 0,\n :type \xff :invoke}";
    let e = decode(bytes).unwrap_err();
    assert_eq!(e.offset, 20);
    assert!(e.message.contains("0xff"), "{e:?}");
}

#[test]
fn dsim_json_errors_have_their_place() {
    let text = "[\n  {\"process\": 0, \"type\": \"invoke\", \"f\": \"read\", \"value\": null, \"time_ns\": 1},\n  {\"process\": 0, \"type\": \"okay\", \"f\": \"read\", \"value\": 1, \"time_ns\": 2}\n]\n";
    let e = read(text, Format::Dsim, false).unwrap_err();
    let line3 = text.find("  {\"process\": 0, \"type\": \"okay\"").unwrap();
    assert!(e.offset > line3 && e.offset < line3 + 60, "{e:?}");
    let good = text.replace("okay", "ok");
    let p = read(&good, Format::Dsim, false).unwrap();
    assert_eq!(p.history.events.len(), 2);
    assert!(good[p.spans[1].clone()].starts_with("{\"process\": 0, \"type\": \"ok\""));
    assert!(!p.history.names.jepsen);
    let deep = format!("[{}", "[".repeat(10_000));
    assert!(read(&deep, Format::Dsim, false).is_err());
}

#[test]
fn errors_point_at_the_place() {
    let text = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value [1 :x]}\n";
    let e = read(text, Format::Edn, false).unwrap_err();
    assert_eq!(e.offset, text.find(":x]").unwrap(), "{e:?}");
    assert!(e.message.contains("only integers"), "{e:?}");
    let e = read("{:process 0, :type :invoke", Format::Edn, false).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("never closed"));
    let e = read("{:process 0, :type :okay, :f :read}", Format::Edn, false).unwrap_err();
    assert_eq!(e.offset, 19);
    let e = read(&"[".repeat(10_000), Format::Edn, false).unwrap_err();
    assert!(e.message.contains("nest"), "{e:?}");
}
