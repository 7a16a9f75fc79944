//! `interlock import openapi`: OpenAPI 3.0 / 3.1 and Swagger 2.0 documents become contracts
//! that load: exact files for small hand-made specs, every spec of the shared real-API corpus,
//! `--lenient` repairs, and exit 2 with nothing written for input that is not OpenAPI.

use std::path::Path;

use serde_json::json;

use crate::harness::{Output, Project, files_under, repo_root};

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

fn fixture(name: &str) -> String {
    repo_root()
        .join("tests/fixtures/openapi")
        .join(name)
        .display()
        .to_string()
}

fn import(project: &Project, args: &[&str]) -> Output {
    let mut all = vec!["import", "openapi"];
    all.extend_from_slice(args);
    project.run(&all)
}

fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = files_under(dir)
        .iter()
        .map(|path| {
            path.strip_prefix(dir)
                .expect("inside the folder")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn openapi_3_0_spec_becomes_exact_contracts_and_schema_files() {
    let project = Project::empty();
    let out = import(
        &project,
        &[
            &fixture("crm-3.0.yaml"),
            "--out",
            "contracts/crm",
            "--provider",
            "crm",
            "--consumer",
            "erp",
            "--consumer",
            "finance",
        ],
    );
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("imported 3 operations (3 contracts, 4 shared schemas)"),
        "{}",
        out.stdout
    );
    assert_eq!(
        files(&project.file("contracts/crm")),
        [
            "createCustomer.contract.json",
            "get-customers.contract.json",
            "getCustomer.contract.json",
            "schemas/Customer.json",
            "schemas/Error.json",
            "schemas/NewCustomer.json",
            "schemas/Owner.json",
        ]
    );
    assert_eq!(
        project.json("contracts/crm/getCustomer.contract.json"),
        json!({
            "$schema": DIALECT,
            "interface": "crm.getCustomer",
            "summary": "One customer",
            "provider": "crm",
            "consumers": ["erp", "finance"],
            "operation": {"method": "GET", "path": "/api/v1/customers/{id}"},
            "request": {
                "query": {"expand": {"schema": {"type": "string", "enum": ["owner", "contacts"]}}},
                "headers": {"x-request-id": {"required": true, "schema": {"type": "string", "examples": ["abc"]}}}
            },
            "responses": {
                "200": {
                    "description": "The customer",
                    "headers": {"x-request-id": {"schema": {"type": "string"}}},
                    "body": {"$ref": "schemas/Customer.json"}
                },
                "404": {"description": "No such customer", "body": {"$ref": "schemas/Error.json"}}
            },
            "metadata": {
                "source": "crm-3.0.yaml",
                "pointer": "/paths/~1customers~1{id}/get",
                "operationId": "getCustomer",
                "openapi_path": "/customers/{id}"
            }
        })
    );
    // nullable → type list (enum gains null), nullable allOf / $ref → anyOf with null,
    // example → examples, x- extensions dropped.
    assert_eq!(
        project.json("contracts/crm/schemas/Customer.json"),
        json!({
            "$schema": DIALECT,
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "examples": ["C-10023"]},
                "name": {"type": "string"},
                "email": {"type": ["string", "null"], "format": "email"},
                "status": {"type": ["string", "null"], "enum": ["lead", "active", null]},
                "owner": {"anyOf": [{"allOf": [{"$ref": "Owner.json"}]}, {"type": "null"}]},
                "manager": {"$ref": "Owner.json"},
                // A property whose name starts with `x-` is a property, not an extension.
                "x-internal-score": {"type": "integer"}
            }
        })
    );
    // The boolean exclusiveMaximum of 3.0 becomes the numeric one of 2020-12.
    let list = project.json("contracts/crm/get-customers.contract.json");
    assert_eq!(list["interface"], "crm.get-customers");
    assert_eq!(
        list["request"]["query"]["page"]["schema"],
        json!({"type": "integer", "minimum": 1, "exclusiveMaximum": 1000})
    );
    assert_eq!(
        list["responses"]["200"]["body"],
        json!({"type": "array", "items": {"$ref": "schemas/Customer.json"}})
    );
    let create = project.json("contracts/crm/createCustomer.contract.json");
    assert_eq!(
        create["request"],
        json!({"body": {"$ref": "schemas/NewCustomer.json"}})
    );

    // The contracts load, and validate like hand-written ones.
    let set = interlock::contract::load_dir(&project.file("contracts/crm")).unwrap();
    let contract = set
        .find(Some("crm"), "GET", "/api/v1/customers/C-10023")
        .unwrap();
    assert_eq!(contract.interface, "crm.getCustomer");
    let (_, response) = contract.response_for(200).unwrap();
    let schema = &response.body.as_ref().unwrap().schema;
    assert!(
        schema
            .violations(&json!({"id": "C-1", "name": "x", "email": null, "owner": null}))
            .is_empty()
    );
    let violations = schema.violations(&json!({"id": "C-1", "email": "not-an-email"}));
    assert_eq!(violations.len(), 2, "{violations:?}");
}

#[test]
fn swagger_2_0_spec_with_base_path_body_parameters_and_produces() {
    let project = Project::empty();
    import(
        &project,
        &[&fixture("erp-swagger-2.0.json"), "--out", "erp"],
    )
    .assert_code(0);
    let get = project.json("erp/getReceivable.contract.json");
    assert_eq!(get["provider"], "erp-receivables");
    assert_eq!(get["interface"], "erp-receivables.getReceivable");
    assert_eq!(get["operation"]["path"], "/erp/v2/receivables/{invoiceNo}");
    assert_eq!(
        get["request"],
        json!({
            "query": {"limit": {"schema": {"type": "integer", "format": "int32", "minimum": 1}, "description": "Lines to return"}},
            "headers": {"x-source-system": {"required": true, "schema": {"type": "string", "enum": ["crm", "web"]}}}
        })
    );
    assert_eq!(
        get["responses"],
        json!({
            "200": {
                "description": "The receivable",
                "headers": {"x-rate-limit": {"schema": {"type": "integer"}, "description": "Calls left"}},
                "body": {"$ref": "schemas/Receivable.json"}
            },
            "404": {"description": "Unknown invoice"}
        })
    );
    let create = project.json("erp/createReceivable.contract.json");
    assert_eq!(
        create["request"]["body"],
        json!({"$ref": "schemas/Receivable.json"})
    );
    // A multipart upload has no JSON body to check.
    let scan = project.json("erp/uploadScan.contract.json");
    assert!(scan.get("request").is_none(), "{scan}");
    assert_eq!(
        project.json("erp/schemas/Receivable.json"),
        json!({
            "$schema": DIALECT,
            "type": "object",
            "required": ["invoice_no", "amount"],
            "properties": {
                "invoice_no": {"type": "string"},
                "amount": {"type": "number", "format": "double", "exclusiveMinimum": 0},
                "paid_at": {"type": ["string", "null"], "format": "date-time"},
                "lines": {"type": "array", "items": {"$ref": "Line.json"}}
            }
        })
    );
    interlock::contract::load_dir(&project.file("erp")).unwrap();
}

#[test]
fn openapi_3_1_spec_with_server_variables_and_mixed_path_segments() {
    let project = Project::empty();
    import(&project, &[&fixture("ledger-3.1.yaml"), "--out", "ledger"]).assert_code(0);
    let get = project.json("ledger/getEntry.contract.json");
    assert_eq!(get["operation"]["path"], "/finance/v1/entries/{entryId}");
    assert_eq!(get["summary"], "Reads one ledger entry.");
    assert_eq!(
        get["responses"]["200"]["body"],
        json!({"$ref": "schemas/Entry.json", "description": "The entry as booked"})
    );
    assert_eq!(
        get["responses"]["default"]["body"],
        json!({"$ref": "schemas/Problem.json"})
    );
    assert_eq!(
        project.json("ledger/schemas/Entry.json")["properties"],
        json!({
            "id": {"type": "string", "format": "uuid"},
            "amount": {"type": "number", "exclusiveMinimum": 0},
            "memo": {"type": ["string", "null"]},
            "kind": {"const": "journal"},
            "examples_only": {"type": "string", "examples": ["a", "b"]}
        })
    );
    // `/files/{name}.{ext}`: a contract parameter is a whole segment.
    let file = project.json("ledger/getFile.contract.json");
    assert_eq!(file["operation"]["path"], "/finance/v1/files/{name_ext}");
    assert_eq!(
        file["metadata"]["merged_parameters"],
        json!(["{name}.{ext}"])
    );
    assert!(file["responses"]["200"].get("body").is_none());
    interlock::contract::load_dir(&project.file("ledger")).unwrap();
}

#[test]
fn spec_quirks_fail_with_pointers_unless_lenient() {
    let project = Project::empty();
    let spec = fixture("quirks-3.0.yaml");
    let out = import(&project, &[&spec, "--out", "q"]);
    out.assert_code(2);
    for expected in [
        "at /components/schemas/Invoice/properties/total/type: unknown type `double` (write `type: number`, or pass --lenient to repair it)",
        "at /paths/~1api~1v1~1invoices/get/parameters/0/schema/type: unknown type `int` (write `type: integer`, or pass --lenient to repair it)",
        "at /paths/~1api~1v1~1invoices/get/responses/200/content/application~1json/schema/$ref: `$ref` `#components/schemas/Invoice` is not a JSON pointer (`#/…`)",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{}", out.stderr);
    }
    assert!(!project.file("q").exists());

    let out = import(&project, &[&spec, "--out", "q", "--lenient"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("repaired: unknown type `int` read as `integer`")
    );
    assert!(
        out.stdout
            .contains("repaired: `$ref: '#components/schemas/Invoice'` (no `/` after `#`)")
    );
    assert_eq!(
        project.json("q/schemas/Invoice.json"),
        json!({
            "$schema": DIALECT,
            "type": "object",
            "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
            "required": ["id"]
        })
    );
}

#[test]
fn input_that_is_not_openapi_is_rejected_and_nothing_written() {
    let project = Project::empty();
    let har = repo_root().join("tests/fixtures/har/chromium.har");
    let out = import(&project, &[har.to_str().unwrap(), "--out", "c"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "not an OpenAPI document: expected an object with `openapi: 3.0.x|3.1.x` or \
             `swagger: \"2.0\"`, found a HAR capture (`log`); import it with `interlock import har`"
        ),
        "{}",
        out.stderr
    );
    project.write("random.yaml", "name: payroll\nitems: [1, 2]\n");
    let out = import(&project, &["random.yaml", "--out", "c"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("random.yaml: not an OpenAPI document: expected an object with `openapi: 3.0.x|3.1.x` or `swagger: \"2.0\"`, found an object with keys `name`, `items`"),
        "{}",
        out.stderr
    );
    project.write("broken.yaml", "openapi: 3.0.0\npaths: [\n");
    let out = import(&project, &["broken.yaml", "--out", "c"]);
    out.assert_code(2);
    assert!(out.stderr.contains("broken.yaml:"), "{}", out.stderr);
    assert!(out.stderr.contains("invalid YAML"), "{}", out.stderr);
    project.write("v4.json", r#"{"openapi": "4.0.0"}"#);
    let out = import(&project, &["v4.json", "--out", "c"]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("v4.json: at /openapi: unsupported `openapi` version")
    );
    assert!(!project.file("c").exists());
}

#[test]
fn every_real_api_spec_in_the_corpus_imports_and_loads() {
    let Some(dir) = crate::support::shared_corpus() else {
        return;
    };
    let mut specs = Vec::new();
    for vendor in std::fs::read_dir(&dir).unwrap() {
        let vendor = vendor.unwrap().path();
        if vendor.is_dir() {
            for spec in std::fs::read_dir(&vendor).unwrap() {
                specs.push(spec.unwrap().path());
            }
        }
    }
    specs.sort();
    assert!(specs.len() >= 8, "{specs:?}");
    // The big specs take a while to compile in a debug build: two at a time.
    let (first, second) = specs.split_at(specs.len() / 2);
    std::thread::scope(|scope| {
        scope.spawn(|| first.iter().for_each(|spec| import_and_load(spec)));
        second.iter().for_each(|spec| import_and_load(spec));
    });
}

fn import_and_load(spec: &Path) {
    let project = Project::empty();
    // Invoice Ninja's spec has quirks (`type: int`, `$ref: '#components/…'`).
    let lenient = spec.to_string_lossy().contains("invoiceninja");
    let mut args = vec![spec.to_str().expect("UTF-8 path"), "--out", "imported"];
    if lenient {
        args.push("--lenient");
    }
    let out = import(&project, &args);
    out.assert_code(0);
    let set = interlock::contract::load_dir(&project.file("imported"))
        .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    let operations = count_operations(spec);
    assert_eq!(set.len(), operations, "{}", spec.display());
    assert!(
        out.stdout
            .contains(&format!("imported {operations} operations")),
        "{}",
        out.stdout
    );
}

fn count_operations(spec: &Path) -> usize {
    let doc = interlock::json::read_value(spec).expect("spec parses");
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc["paths"]
        .as_object()
        .expect("`paths` is an object")
        .values()
        .map(|item| methods.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}
