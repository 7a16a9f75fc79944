//! The rule table: every kind of change, its verdict in a request and in a response, and why.
//!
//! A schema change is judged by who writes and who reads. In a request the consumer writes and
//! the provider reads, so a change breaks when the set of accepted values *narrows* (an old
//! client's request is now rejected). In a response the provider writes and consumers read, so it
//! breaks when the set *widens* (a value an old client cannot handle). Severity tiers sit on top
//! of validity: `potentially-breaking` marks changes that are valid but that a consumer may still
//! feel (a removed optional property it read, a new enum value it switches on).
//!
//! Rule ids are `request-<kind>` and `response-<kind>` for message changes, and the bare kind for
//! operation changes (`operation-removed`). This table is the single source the comparison
//! follows; `docs/diff-rules.md` is checked against it by a test.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// How much a change hurts the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Safe,
    PotentiallyBreaking,
    Breaking,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Safe => "safe",
            Severity::PotentiallyBreaking => "potentially-breaking",
            Severity::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which message a change sits in, and so who writes and who reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The consumer writes, the provider reads.
    Request,
    /// The provider writes, the consumers read.
    Response,
}

impl Direction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

use Severity::{Breaking as B, PotentiallyBreaking as P, Safe as S};

/// One row of the table: a kind of change and its verdict per direction (`None`: the change
/// cannot happen there).
#[derive(Debug, Clone, Copy)]
pub struct KindRule {
    pub kind: Kind,
    pub request: Option<Severity>,
    pub response: Option<Severity>,
    /// What changed, in a few words.
    pub what: &'static str,
    /// Why the verdicts are what they are.
    pub rationale: &'static str,
}

macro_rules! kinds {
    ($( $variant:ident = $id:literal, $req:expr, $resp:expr, $what:literal, $why:literal; )*) => {
        /// Every kind of change `interlock diff` reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $($variant,)* }

        impl Kind {
            /// The kebab-case kind, without the direction prefix.
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $id,)* }
            }
        }

        /// The table, in the order `docs/diff-rules.md` lists it.
        pub(crate) const TABLE: &[KindRule] = &[
            $(KindRule { kind: Kind::$variant, request: $req, response: $resp, what: $what, rationale: $why },)*
        ];
    };
}

kinds! {
    // Operations (no direction: the rule id is the kind itself, verdict in the request column).
    OperationRemoved = "operation-removed", Some(B), None, "an operation is gone",
        "every consumer calling it gets an error";
    OperationPathChanged = "operation-path-changed", Some(B), None, "an interface moved to another method or path",
        "consumers still call the old method and path";
    OperationAdded = "operation-added", Some(S), None, "a new operation",
        "nobody calls it yet";
    OperationDeprecated = "operation-deprecated", Some(S), None, "an operation is marked deprecated",
        "a notice, not a change in behaviour";
    SecurityRequirementAdded = "security-requirement-added", Some(B), None,
        "an operation now needs a security scheme (operation-level or global `security`) that an old requirement did not",
        "old clients call it without those credentials and are rejected";
    SecurityScopeAdded = "security-scope-added", Some(B), None, "a security requirement now needs an OAuth scope it did not",
        "old clients' tokens lack the scope and are rejected";
    SecurityRequirementRemoved = "security-requirement-removed", Some(S), None,
        "a security scheme is no longer needed (a requirement dropped or a new alternative added)",
        "every old client's credentials still satisfy it";
    SecurityScopeRemoved = "security-scope-removed", Some(S), None, "a security requirement needs fewer scopes",
        "every old client's token still carries enough scopes";
    WebhookRemoved = "webhook-removed", Some(B), None, "an OpenAPI 3.1 webhook is gone",
        "subscribers waiting for it no longer receive it";
    WebhookAdded = "webhook-added", Some(S), None, "a new OpenAPI 3.1 webhook",
        "nobody subscribed to it yet";
    // Parameters, headers, bodies, media types and statuses.
    RequiredParameterAdded = "required-parameter-added", Some(B), None, "a new required parameter or request header",
        "old clients do not send it and are rejected";
    ParameterAdded = "optional-parameter-added", Some(S), None, "a new optional parameter or request header",
        "old clients simply do not send it";
    ParameterRemoved = "parameter-removed", Some(P), None, "a parameter or request header is no longer read",
        "the provider silently drops a value old clients still send";
    ParameterBecameRequired = "parameter-became-required", Some(B), None, "an optional parameter became required",
        "old clients that omit it are rejected";
    ParameterBecameOptional = "parameter-became-optional", Some(S), None, "a required parameter became optional",
        "every old request still carries it";
    AdditionalQueryClosed = "additional-query-closed", Some(B), None, "unknown query parameters are now rejected",
        "old clients sending extra parameters are rejected";
    AdditionalQueryOpened = "additional-query-opened", Some(S), None, "unknown query parameters are now accepted",
        "accepts more than before";
    HeaderAdded = "header-added", None, Some(S), "a new response header",
        "consumers ignore headers they do not know";
    RequiredHeaderRemoved = "required-header-removed", None, Some(B), "a required response header is gone",
        "consumers rely on it being present";
    OptionalHeaderRemoved = "optional-header-removed", None, Some(P), "an optional response header is gone",
        "a consumer may read it when present";
    HeaderBecameOptional = "header-became-optional", None, Some(B), "a response header may now be missing",
        "consumers rely on it being present";
    HeaderBecameRequired = "header-became-required", None, Some(S), "a response header is now always sent",
        "consumers already handle it";
    RequiredBodyAdded = "required-body-added", Some(B), None, "a request body is now required",
        "old clients send none and are rejected";
    BodyAdded = "body-added", Some(S), Some(S), "a new optional request body, or a response body where there was none",
        "nobody relied on it";
    BodyRemoved = "body-removed", Some(P), Some(B), "the message no longer has a body",
        "request: the provider drops what old clients send; response: consumers read it";
    BodyBecameRequired = "body-became-required", Some(B), None, "an optional request body became required",
        "old clients that omit it are rejected";
    BodyBecameOptional = "body-became-optional", Some(S), None, "a required request body became optional",
        "every old request still carries it";
    MediaTypeAdded = "media-type-added", Some(S), Some(S), "a new media type",
        "old clients keep using the ones they know";
    MediaTypeRemoved = "media-type-removed", Some(B), Some(B), "a media type is gone",
        "clients sending or accepting it fail";
    SuccessStatusAdded = "success-status-added", None, Some(P), "a new 2XX response status",
        "consumers may treat an unknown success status as a failure or miss its body";
    SuccessStatusRemoved = "success-status-removed", None, Some(B), "a 2XX response status is gone",
        "consumers expecting it (and its body) get something else";
    StatusAdded = "status-added", None, Some(S), "a new non-success response status",
        "consumers already handle errors generically";
    StatusRemoved = "status-removed", None, Some(P), "a non-success response status is gone",
        "consumers handling it specifically now see another status";
    // Properties.
    PropertyAdded = "property-added", Some(S), Some(S), "a new optional property",
        "request: old clients omit it; response: tolerant readers ignore it";
    RequiredPropertyAdded = "required-property-added", Some(B), Some(S), "a new required property",
        "request: old clients omit it and are rejected; response: readers get more than before";
    PropertyAddedToClosedObject = "property-added-to-closed-object", None, Some(B),
        "a new property where the reader rejects unknown properties (closed object or strict policy)",
        "readers validating against the old, closed schema reject the response";
    OptionalPropertyRemoved = "optional-property-removed", Some(P), Some(P), "an optional property is gone",
        "request: the provider silently drops data old clients send; response: a consumer may read it";
    RequiredPropertyRemoved = "required-property-removed", Some(P), Some(B), "a required property is gone",
        "request: the provider drops data; response: consumers rely on it being present";
    PropertyRemovedFromClosedObject = "property-removed-from-closed-object", Some(B), None,
        "a property is gone from an object that rejects unknown properties",
        "old clients still send it and are rejected (`additionalProperties: false` honoured)";
    PropertyRenamed = "property-renamed", Some(B), Some(B),
        "a property removed and one with the same schema added in the same object, the old one required or the object closed",
        "possibly a rename: the old name is gone for every reader and writer";
    PropertyBecameRequired = "property-became-required", Some(B), Some(S), "an optional property became required",
        "request: old clients that omit it are rejected; response: always present now";
    PropertyBecameOptional = "property-became-optional", Some(S), Some(B), "a required property became optional",
        "response: consumers assume it is present";
    // Types and formats.
    TypeChanged = "type-changed", Some(B), Some(B), "the type changed to an unrelated one (string ↔ boolean, object ↔ array)",
        "neither side understands the other's values";
    TypeNarrowed = "type-narrowed", Some(B), Some(S), "the type accepts fewer values (number → integer, removed alternative)",
        "request: old values are rejected; response: readers get a subset";
    TypeWidened = "type-widened", Some(S), Some(B), "the type accepts more values (integer → number, new alternative)",
        "response: readers get values they cannot handle";
    NullableAdded = "nullable-added", Some(S), Some(B), "null is now allowed",
        "response: readers that dereference the value fail on null";
    NullableRemoved = "nullable-removed", Some(B), Some(S), "null is no longer allowed",
        "request: old clients sending null are rejected";
    FormatAdded = "format-added", Some(B), Some(S), "a `format` constrains a field that had none",
        "request: old values may not match it";
    FormatRemoved = "format-removed", Some(S), Some(P), "a `format` was removed",
        "response: typed parsers may get values they cannot parse";
    FormatNarrowed = "format-narrowed", Some(B), Some(S), "the format accepts fewer values (int64 → int32, double → float)",
        "request: large or precise values are rejected";
    FormatWidened = "format-widened", Some(S), Some(B), "the format accepts more values (int32 → int64, float → double)",
        "response: readers overflow or lose precision";
    FormatChanged = "format-changed", Some(B), Some(B), "the format changed to an unrelated one (date-time → date, uuid → email)",
        "typed parsers on both sides fail; `date` is not contained in `date-time`";
    // Enumerations.
    EnumValueAdded = "enum-value-added", Some(S), Some(P), "a new enum value",
        "response: consumers switching exhaustively on the value meet one they do not know";
    EnumValueRemoved = "enum-value-removed", Some(B), Some(P), "an enum value is gone",
        "request: old clients sending it are rejected; response: consumers relying on it never see it again";
    EnumAdded = "enum-added", Some(B), Some(S), "an enum now restricts a free field",
        "request: old values outside the list are rejected";
    EnumRemoved = "enum-removed", Some(S), Some(P), "an enum restriction was dropped",
        "response: consumers switching on the value meet values they do not know";
    ConstChanged = "const-changed", Some(B), Some(B), "a constant (`const` or one-value `enum`) now has another value",
        "request: old clients send the old value and are rejected; response: readers get a value they never could";
    DiscriminatorMappingAdded = "discriminator-mapping-added", Some(S), Some(P), "a new `discriminator.mapping` value",
        "response: consumers dispatching on the discriminator meet a value they do not know";
    DiscriminatorMappingRemoved = "discriminator-mapping-removed", Some(B), Some(P), "a `discriminator.mapping` value is gone",
        "request: old clients' payloads with that value are no longer mapped; response: consumers never see it again";
    // Constraints.
    PatternAdded = "pattern-added", Some(B), Some(S), "a `pattern` constrains a field that had none",
        "request: old values may not match";
    PatternRemoved = "pattern-removed", Some(S), Some(P), "a `pattern` was removed",
        "response: readers may get values they did not expect";
    PatternChanged = "pattern-changed", Some(P), Some(P), "the `pattern` changed",
        "regular expressions cannot be compared in general: review it";
    LengthTightened = "length-tightened", Some(B), Some(S), "`minLength` raised or `maxLength` lowered or added",
        "request: old values of the old length are rejected";
    LengthLoosened = "length-loosened", Some(S), Some(P), "`minLength` lowered or `maxLength` raised or removed",
        "response: readers with fixed buffers may get longer values";
    RangeTightened = "range-tightened", Some(B), Some(S), "`minimum`/`maximum` (or exclusive forms) narrowed or added",
        "request: old values outside the new range are rejected";
    RangeLoosened = "range-loosened", Some(S), Some(B), "`minimum`/`maximum` (or exclusive forms) widened or removed",
        "response: readers get values they never could (a team may soften it per rule id in `[diff] severity`)";
    MultipleOfTightened = "multiple-of-tightened", Some(B), Some(S), "`multipleOf` added or made coarser",
        "request: old values are rejected";
    MultipleOfLoosened = "multiple-of-loosened", Some(S), Some(P), "`multipleOf` removed or made finer",
        "response: readers may get more decimal places than they store";
    MultipleOfChanged = "multiple-of-changed", Some(B), Some(P), "`multipleOf` changed to an unrelated step",
        "both narrows and widens the accepted values";
    ItemCountTightened = "item-count-tightened", Some(B), Some(S), "`minItems` raised or `maxItems` lowered or added",
        "request: old arrays are rejected";
    ItemCountLoosened = "item-count-loosened", Some(S), Some(P), "`minItems` lowered or `maxItems` raised or removed",
        "response: readers may get more or fewer items than they handle";
    PropertyCountTightened = "property-count-tightened", Some(B), Some(S), "`minProperties` raised or `maxProperties` lowered",
        "request: old objects are rejected";
    PropertyCountLoosened = "property-count-loosened", Some(S), Some(P), "`minProperties` lowered or `maxProperties` raised",
        "response: readers may get objects of a size they do not handle";
    UniqueItemsAdded = "unique-items-added", Some(B), Some(S), "array items must now be unique",
        "request: old arrays with duplicates are rejected";
    UniqueItemsRemoved = "unique-items-removed", Some(S), Some(P), "array items may now repeat",
        "response: readers relying on uniqueness may double count";
    AdditionalPropertiesNarrowed = "additional-properties-narrowed", Some(B), Some(S),
        "`additionalProperties` closed (`false`) or restricted to a schema",
        "request: old clients sending extra properties are rejected";
    AdditionalPropertiesWidened = "additional-properties-widened", Some(S), Some(P),
        "`additionalProperties` opened or its schema dropped",
        "response: strict readers meet properties they do not know";
    ItemsAdded = "items-added", Some(B), Some(S), "an array that allowed any items now constrains them",
        "request: old arrays may not match";
    ItemsRemoved = "items-removed", Some(S), Some(B), "an array no longer constrains its items",
        "response: readers get items of any shape";
    // Composition.
    BranchAdded = "branch-added", Some(S), Some(B), "a new `oneOf`/`anyOf` alternative",
        "response: readers meet a shape they do not know";
    BranchRemoved = "branch-removed", Some(B), Some(S), "a `oneOf`/`anyOf` alternative is gone",
        "request: old clients sending that shape are rejected";
    AllOfBranchAdded = "all-of-branch-added", Some(B), Some(S), "a new `allOf` part that could not be merged",
        "every value must now match one more schema";
    AllOfBranchRemoved = "all-of-branch-removed", Some(S), Some(B), "an `allOf` part that could not be merged is gone",
        "response: readers lose a guarantee";
    NotNarrowed = "not-narrowed", Some(B), Some(S), "a `not` was added, or its excluded schema accepts more",
        "request: old values now excluded are rejected";
    NotWidened = "not-widened", Some(S), Some(B), "a `not` was removed, or its excluded schema accepts less",
        "response: readers get values that were excluded";
    NotChanged = "not-changed", Some(P), Some(P), "the `not` schema both gained and lost values",
        "the exclusion moved both ways: review it";
    ConditionalAdded = "conditional-added", Some(B), Some(S), "an `if`/`then`/`else`, or a `then`/`else` branch, now constrains values",
        "request: old values taking that branch may not match it";
    ConditionalRemoved = "conditional-removed", Some(S), Some(B), "an `if`/`then`/`else`, or a `then`/`else` branch, is gone",
        "response: readers lose what the branch guaranteed";
    ConditionalChanged = "conditional-changed", Some(P), Some(P), "the `if` condition changed",
        "values may now take the other branch; two conditions cannot be compared in general: review it";
    DependentRequiredAdded = "dependent-required-added", Some(B), Some(S),
        "`dependentRequired` added, or a property added to one of its lists",
        "request: old objects with the trigger property but without the newly required one are rejected";
    DependentRequiredRemoved = "dependent-required-removed", Some(S), Some(B),
        "`dependentRequired` removed, or a property removed from one of its lists",
        "response: readers relying on the dependent property being present miss it";
    DependentSchemaAdded = "dependent-schema-added", Some(B), Some(S), "a `dependentSchemas` entry added",
        "request: old objects with the trigger property may not match it";
    DependentSchemaRemoved = "dependent-schema-removed", Some(S), Some(B), "a `dependentSchemas` entry removed",
        "response: readers lose what it guaranteed";
    ContainsAdded = "contains-added", Some(B), Some(S), "arrays must now `contain` a matching item",
        "request: old arrays without one are rejected";
    ContainsRemoved = "contains-removed", Some(S), Some(B), "arrays no longer need to `contain` a matching item",
        "response: readers relying on a matching item may find none";
    ContainsCountTightened = "contains-count-tightened", Some(B), Some(S), "`minContains` raised or `maxContains` lowered or added",
        "request: old arrays with the old number of matching items are rejected";
    ContainsCountLoosened = "contains-count-loosened", Some(S), Some(P), "`minContains` lowered or `maxContains` raised or removed",
        "response: readers may get more or fewer matching items than they handle";
    PatternPropertiesAdded = "pattern-properties-added", Some(B), Some(S), "a `patternProperties` entry now constrains properties with matching names",
        "request: old objects with such a property may not match it";
    PatternPropertiesRemoved = "pattern-properties-removed", Some(S), Some(B), "a `patternProperties` entry is gone",
        "response: readers get properties of any shape under those names";
    PropertyNamesAdded = "property-names-added", Some(B), Some(S), "`propertyNames` now constrains property names",
        "request: old objects with other names are rejected";
    PropertyNamesRemoved = "property-names-removed", Some(S), Some(B), "`propertyNames` was removed",
        "response: readers get property names they never could";
    UnevaluatedPropertiesNarrowed = "unevaluated-properties-narrowed", Some(B), Some(S),
        "`unevaluatedProperties` closed (`false`) or restricted to a schema",
        "request: old clients sending other properties are rejected";
    UnevaluatedPropertiesWidened = "unevaluated-properties-widened", Some(S), Some(P),
        "`unevaluatedProperties` opened or its schema dropped",
        "response: strict readers meet properties they do not know";
    UnevaluatedItemsNarrowed = "unevaluated-items-narrowed", Some(B), Some(S),
        "`unevaluatedItems` closed (`false`) or restricted to a schema",
        "request: old arrays with more items are rejected";
    UnevaluatedItemsWidened = "unevaluated-items-widened", Some(S), Some(B), "`unevaluatedItems` opened or its schema dropped",
        "response: readers get items of any shape";
    ContentEncodingChanged = "content-encoding-changed", Some(B), Some(B), "`contentEncoding` added, removed or changed",
        "the bytes are encoded differently: the reader decodes them wrongly on both sides";
    ContentMediaTypeAdded = "content-media-type-added", Some(B), Some(S), "`contentMediaType` now says what a string carries",
        "request: old strings that are not such a document are rejected";
    ContentMediaTypeRemoved = "content-media-type-removed", Some(S), Some(P), "`contentMediaType` was removed",
        "response: readers parsing the document may get something else";
    ContentMediaTypeChanged = "content-media-type-changed", Some(B), Some(B), "`contentMediaType` changed to another media type",
        "writers and readers parse the string as different documents";
    ContentSchemaAdded = "content-schema-added", Some(B), Some(S), "`contentSchema` now constrains the decoded document",
        "request: old documents may not match it";
    ContentSchemaRemoved = "content-schema-removed", Some(S), Some(B), "`contentSchema` was removed",
        "response: readers get decoded documents of any shape";
    KeywordChanged = "keyword-changed", Some(P), Some(P),
        "a keyword compared as written changed (`$dynamicRef`, `$recursiveRef`)",
        "its target depends on where evaluation started, so it cannot be judged structurally: review it";
    // Annotations with effect.
    DefaultChanged = "default-changed", Some(P), Some(S), "the `default` changed",
        "request: clients omitting the field get a different value";
    DeprecatedAdded = "deprecated-added", Some(S), Some(S), "a field or parameter is marked deprecated",
        "a notice, not a change in behaviour";
    // Table contracts (no direction: consumers read the table, its system writes it). Shared
    // with `interlock db check`, which judges a live table against its contract the same way;
    // the verdict is the one when a consumer reads what changed.
    TableRemoved = "table-removed", Some(B), None, "a table contract is gone",
        "its consumers read it; safe when it names no consumers";
    TableAdded = "table-added", Some(S), None, "a new table contract",
        "nobody reads it yet";
    ColumnRemoved = "column-removed", Some(B), None, "a column is gone",
        "consumers that read it break; safe when no consumer reads it (`read_by: []`)";
    ColumnRenamed = "column-renamed", Some(B), None,
        "a column is gone and one of the same type, size and nullability appeared",
        "consumers that read the old name break; safe when nobody reads it";
    ColumnAdded = "column-added", Some(S), None, "a new column (nullable or with a default)",
        "readers ignore it; breaking when it is NOT NULL without a default: an INSERT that does not name it fails";
    ColumnTypeChanged = "column-type-changed", Some(B), None, "a column's type widened, narrowed or changed kind",
        "narrowed or another kind: writers and stored data break; widened: breaking only when a consumer reads it";
    ColumnBecameNullable = "column-became-nullable", Some(B), None, "a NOT NULL column now allows NULL",
        "readers that assume a value break; safe when nobody reads it";
    ColumnBecameNotNull = "column-became-not-null", Some(B), None, "a nullable column is now NOT NULL",
        "writers that leave it empty fail; safe when it has a default";
    ColumnDefaultChanged = "default-changed", Some(S), None, "a column's default changed, appeared or disappeared",
        "writers that leave the column out get another value; breaking when a NOT NULL column loses its default";
    ColumnValueRemoved = "enum-value-removed", Some(B), None,
        "a value of an enum type or `CHECK (col IN …)` list is no longer allowed",
        "writers that send it fail";
    ColumnValueAdded = "enum-value-added", Some(B), None, "an enum type or `CHECK (col IN …)` list allows a new value",
        "a consumer that reads the column must learn it; safe when nobody reads it";
    TableConstraintAdded = "constraint-added", Some(B), None,
        "a new primary key, unique constraint, foreign key or value list",
        "writers' rows that break it are rejected";
    TableConstraintRemoved = "constraint-removed", Some(B), None,
        "a primary key, unique constraint or value list is gone (a foreign key: safe)",
        "consumers that match rows on the key or rely on the values break; safe when nobody reads the table";
}

impl Kind {
    /// Operation-level kinds carry no direction prefix.
    pub(crate) fn is_operation_level(self) -> bool {
        matches!(
            self,
            Kind::OperationRemoved
                | Kind::OperationPathChanged
                | Kind::OperationAdded
                | Kind::OperationDeprecated
                | Kind::SecurityRequirementAdded
                | Kind::SecurityScopeAdded
                | Kind::SecurityRequirementRemoved
                | Kind::SecurityScopeRemoved
                | Kind::WebhookRemoved
                | Kind::WebhookAdded
        ) || self.is_table_level()
    }

    /// Table-contract kinds: compared by [`crate::db::compare`], rule id the bare kind.
    pub(crate) fn is_table_level(self) -> bool {
        matches!(
            self,
            Kind::TableRemoved
                | Kind::TableAdded
                | Kind::ColumnRemoved
                | Kind::ColumnRenamed
                | Kind::ColumnAdded
                | Kind::ColumnTypeChanged
                | Kind::ColumnBecameNullable
                | Kind::ColumnBecameNotNull
                | Kind::ColumnDefaultChanged
                | Kind::ColumnValueRemoved
                | Kind::ColumnValueAdded
                | Kind::TableConstraintAdded
                | Kind::TableConstraintRemoved
        )
    }

    pub(crate) fn rule(self) -> &'static KindRule {
        // The table holds every variant exactly once, in declaration order.
        &TABLE[self as usize]
    }

    /// The stable rule id of this kind in a direction.
    pub(crate) fn rule_id(self, direction: Direction) -> String {
        if self.is_operation_level() {
            self.as_str().to_string()
        } else {
            format!("{}-{}", direction.as_str(), self.as_str())
        }
    }

    /// The default severity of this kind in a direction.
    pub(crate) fn default_severity(self, direction: Direction) -> Severity {
        let rule = self.rule();
        let verdict = if self.is_operation_level() {
            rule.request
        } else {
            match direction {
                Direction::Request => rule.request,
                Direction::Response => rule.response,
            }
        };
        // A kind never emitted in a direction is treated as breaking so a table mistake shows.
        verdict.unwrap_or(Severity::Breaking)
    }
}

/// One rule id with its default severity.
#[derive(Debug, Clone)]
pub struct RuleId {
    pub id: String,
    pub kind: Kind,
    pub direction: Option<Direction>,
    pub severity: Severity,
}

/// Every rule id, in table order.
pub fn all_rule_ids() -> &'static [RuleId] {
    static IDS: OnceLock<Vec<RuleId>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids = Vec::new();
        for rule in TABLE {
            if rule.kind.is_operation_level() {
                if let Some(severity) = rule.request {
                    ids.push(RuleId {
                        id: rule.kind.as_str().to_string(),
                        kind: rule.kind,
                        direction: None,
                        severity,
                    });
                }
                continue;
            }
            for (direction, verdict) in [
                (Direction::Request, rule.request),
                (Direction::Response, rule.response),
            ] {
                if let Some(severity) = verdict {
                    ids.push(RuleId {
                        id: rule.kind.rule_id(direction),
                        kind: rule.kind,
                        direction: Some(direction),
                        severity,
                    });
                }
            }
        }
        ids
    })
}

/// Whether `id` names a rule.
pub(crate) fn is_rule_id(id: &str) -> bool {
    all_rule_ids().iter().any(|r| r.id == id)
}

/// The table as Markdown, exactly as `docs/diff-rules.md` embeds it.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| Kind | What changed | Request | Response | Rule ids | Rationale |\n|---|---|---|---|---|---|\n",
    );
    let verdict = |v: Option<Severity>| v.map_or("—".to_string(), |s| s.as_str().to_string());
    for rule in TABLE {
        let ids: Vec<String> = all_rule_ids()
            .iter()
            .filter(|r| r.kind == rule.kind)
            .map(|r| format!("`{}`", r.id))
            .collect();
        let (request, response) = if rule.kind.is_table_level() {
            (
                format!("{} (table)", verdict(rule.request)),
                "—".to_string(),
            )
        } else if rule.kind.is_operation_level() {
            (
                format!("{} (operation)", verdict(rule.request)),
                "—".to_string(),
            )
        } else {
            (verdict(rule.request), verdict(rule.response))
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            rule.kind.as_str(),
            rule.what,
            request,
            response,
            ids.join("<br>"),
            rule.rationale
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_index_matches_variant() {
        for (i, rule) in TABLE.iter().enumerate() {
            assert_eq!(rule.kind as usize, i, "{}", rule.kind.as_str());
        }
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let ids = all_rule_ids();
        let mut seen = std::collections::HashSet::new();
        for r in ids {
            assert!(seen.insert(r.id.clone()), "duplicate {}", r.id);
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn direction_examples_from_the_issue() {
        use Direction::*;
        assert_eq!(Kind::RequiredPropertyRemoved.default_severity(Response), B);
        assert_eq!(Kind::OptionalPropertyRemoved.default_severity(Response), P);
        assert_eq!(Kind::EnumValueAdded.default_severity(Response), P);
        assert_eq!(Kind::OptionalPropertyRemoved.default_severity(Request), P);
        assert_eq!(Kind::RequiredPropertyAdded.default_severity(Request), B);
        assert_eq!(Kind::LengthTightened.default_severity(Request), B);
        assert_eq!(Kind::LengthLoosened.default_severity(Response), P);
        assert_eq!(Kind::PropertyAdded.default_severity(Response), S);
    }

    #[test]
    fn docs_embed_the_table() {
        let docs = include_str!("../../docs/diff-rules.md");
        assert!(
            docs.contains(&markdown_table()),
            "docs/diff-rules.md is out of date; paste rules::markdown_table() into it:\n{}",
            markdown_table()
        );
    }
}
