//! CloudTrail field semantics (spec `cloudtrail-json.md` §4–§5), on a parsed
//! record. No SDK types: the glue maps each field name to one of these.
//!
//! Conventions: a string field is present iff its path exists (`null`
//! included); a non-string value reads as `""`.
//!
//! Deliberate differences from the Go plugin: `ct.request.documentname` reads
//! `requestParameters.documentName` (upstream: always absent, Q-CT1);
//! re-serialised JSON (`ct.request`, `ct.response`, …) is the record's own
//! text without whitespace, so string escapes are kept as written.
//! Bug-compatible: Q-CT2 (`ct.info` public-access-block flags always false),
//! Q-CT3 (`ct.sessioncredentialfromconsole` reads a JSON boolean), `s3.cnt.*`
//! absent instead of 0.

use crate::json::{Doc, JsonError, Kind, Val};

/// A parsed record: the bytes and their tree.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    bytes: Vec<u8>,
    doc: Doc,
}

impl Parsed {
    /// Parse a record (an event payload).
    pub fn new(bytes: &[u8]) -> Result<Parsed, JsonError> {
        Ok(Parsed {
            doc: Doc::parse(bytes)?,
            bytes: bytes.to_vec(),
        })
    }

    /// Whether this is the parse of exactly these bytes (cache check).
    pub fn is_for(&self, bytes: &[u8]) -> bool {
        self.bytes == bytes
    }

    /// A view for field extraction.
    pub fn record(&self) -> Option<Rec<'_>> {
        self.doc.root(&self.bytes).map(Rec)
    }
}

/// A record's root object.
#[derive(Debug, Clone, Copy)]
pub struct Rec<'a>(pub Val<'a>);

/// The string at a value: its text if it is a string, else `""`.
fn text(v: Val<'_>) -> String {
    v.as_str().map(|s| s.into_owned()).unwrap_or_default()
}

/// `"true"`/`"false"` from a boolean-ish value (non-booleans read `false`).
fn boolstr(v: Val<'_>) -> String {
    (v.as_bool() == Some(true)).to_string()
}

/// A byte-count value: numbers (float text truncated), anything else 0.
fn count(v: Val<'_>) -> u64 {
    if v.kind() != Kind::Number {
        return 0;
    }
    std::str::from_utf8(v.raw())
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
        // `as` saturates for floats, which is the intent for huge counts.
        .map_or(0, |f| f.trunc() as u64)
}

const AMAZONAWS: &str = ".amazonaws.com";

impl<'a> Rec<'a> {
    /// The value at a path.
    pub fn at(&self, path: &[&str]) -> Option<Val<'a>> {
        self.0.path(path)
    }

    /// The string field at a path (see module conventions).
    pub fn str_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(text)
    }

    /// A boolean field (`ct.readonly` style): absent iff the key is missing.
    pub fn bool_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(boolstr)
    }

    /// A whole sub-value as compact JSON (`ct.request` style).
    pub fn json_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(|v| v.compact())
    }

    /// `ct.shortsrc`.
    pub fn shortsrc(&self) -> Option<String> {
        let src = self.str_at(&["eventSource"])?;
        match src.strip_suffix(AMAZONAWS) {
            Some(short) if !short.is_empty() => Some(short.to_string()),
            _ => Some(src),
        }
    }

    fn identity_type(&self) -> Option<String> {
        self.str_at(&["userIdentity", "type"])
    }

    /// `ct.user`.
    pub fn user(&self) -> Option<String> {
        let ty = self.identity_type()?;
        match ty.as_str() {
            "Root" | "IAMUser" => self.str_at(&["userIdentity", "userName"]),
            "AWSService" => self.str_at(&["userIdentity", "invokedBy"]),
            "AssumedRole" => Some(
                self.str_at(&[
                    "userIdentity",
                    "sessionContext",
                    "sessionIssuer",
                    "userName",
                ])
                .unwrap_or_else(|| "AssumedRole".to_string()),
            ),
            "AWSAccount" => Some("AWSAccount".to_string()),
            "FederatedUser" => Some("FederatedUser".to_string()),
            _ => None,
        }
    }

    /// `ct.originaluser`.
    pub fn original_user(&self) -> Option<String> {
        let ui = self.at(&["userIdentity"])?;
        if ui.get("type").map(text).as_deref() != Some("AssumedRole") {
            return ui.get("userName").map(text);
        }
        if let Some(arn) = ui.get("arn").map(text) {
            let parts: Vec<&str> = arn.split('/').collect();
            if let [_, _, session] = parts.as_slice() {
                return Some((*session).to_string());
            }
        }
        let pid = ui.get("principalId").map(text)?;
        let parts: Vec<&str> = pid.split(':').collect();
        match parts.as_slice() {
            [_, session] => Some((*session).to_string()),
            _ => None,
        }
    }

    /// `ct.user.accountid`.
    pub fn user_account_id(&self) -> Option<String> {
        self.str_at(&["userIdentity", "accountId"])
            .or_else(|| self.str_at(&["recipientAccountId"]))
    }

    /// `ct.resources`.
    pub fn resources(&self) -> Option<String> {
        let res = self.at(&["resources"])?;
        let parts: Vec<String> = res.children().map(|v| v.compact()).collect();
        if res.kind() != Kind::Array || parts.is_empty() {
            return None;
        }
        Some(parts.join(","))
    }

    /// `s3.uri`.
    pub fn s3_uri(&self) -> Option<String> {
        let bucket = self.at(&["requestParameters", "bucketName"])?.as_str()?;
        let key = self.at(&["requestParameters", "key"])?.as_str()?;
        Some(format!("s3://{bucket}/{key}"))
    }

    /// `s3.bytes.in`.
    pub fn s3_bytes_in(&self) -> Option<u64> {
        self.at(&["additionalEventData", "bytesTransferredIn"])
            .map(count)
    }

    /// `s3.bytes.out`.
    pub fn s3_bytes_out(&self) -> Option<u64> {
        self.at(&["additionalEventData", "bytesTransferredOut"])
            .map(count)
    }

    /// `s3.bytes`.
    pub fn s3_bytes(&self) -> Option<u64> {
        match (self.s3_bytes_in(), self.s3_bytes_out()) {
            (None, None) => None,
            (i, o) => Some(i.unwrap_or(0).saturating_add(o.unwrap_or(0))),
        }
    }

    fn event_name_is(&self, name: &str) -> bool {
        self.str_at(&["eventName"]).as_deref() == Some(name)
    }

    /// `s3.cnt.get`.
    pub fn s3_cnt_get(&self) -> Option<u64> {
        self.event_name_is("GetObject").then_some(1)
    }

    /// `s3.cnt.put`.
    pub fn s3_cnt_put(&self) -> Option<u64> {
        self.event_name_is("PutObject").then_some(1)
    }

    /// `s3.cnt.other`.
    pub fn s3_cnt_other(&self) -> Option<u64> {
        (!self.event_name_is("GetObject") && !self.event_name_is("PutObject")).then_some(1)
    }

    /// `ec2.name`.
    pub fn ec2_name(&self) -> Option<String> {
        let items = self.at(&["requestParameters", "tagSpecificationSet", "items"])?;
        let mut name = None;
        for item in items.children() {
            if item.get("resourceType").map(text).as_deref() != Some("instance") {
                continue;
            }
            let Some(tags) = item.get("tags") else {
                continue;
            };
            if let Some(tag) = tags
                .children()
                .find(|t| t.get("key").map(text).as_deref() == Some("Name"))
            {
                name = tag.get("value").map(text);
            }
        }
        name.filter(|n| !n.is_empty())
    }

    /// `ec2.imageids` (all) or `ec2.imageids[i]`.
    pub fn ec2_image_ids(&self, index: Option<u64>) -> Vec<String> {
        if let Some(items) = self.at(&["responseElements", "instancesSet", "items"]) {
            let image = |v: Val<'_>| v.get("imageId").map(text);
            return match index {
                Some(i) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.index(i))
                    .and_then(image)
                    .into_iter()
                    .collect(),
                None => items
                    .children()
                    .filter_map(image)
                    .filter(|s| !s.is_empty())
                    .collect(),
            };
        }
        if index.is_some_and(|i| i != 0) {
            return Vec::new();
        }
        [
            &["requestParameters", "imageId"][..],
            &[
                "requestParameters",
                "DescribeFastLaunchImagesRequest",
                "ImageId",
                "content",
            ],
            &["requestParameters", "launchSpecification", "imageId"],
        ]
        .iter()
        .find_map(|p| self.str_at(p))
        .into_iter()
        .collect()
    }

    /// `ct.info`.
    pub fn info(&self) -> String {
        let Some(user) = self.user() else {
            return "<invalid cloudtrail event: userIdentity field missing>".to_string();
        };
        let Some(srcip) = self.str_at(&["sourceIPAddress"]) else {
            return "<invalid cloudtrail event: eventSource field missing>".to_string();
        };
        let Some(name) = self.str_at(&["eventName"]) else {
            return "<invalid cloudtrail event: eventName field missing>".to_string();
        };
        let mut s = user.clone();
        if user != srcip {
            s.push_str(" via ");
            s.push_str(&srcip);
        }
        s.push(' ');
        if self.at(&["errorCode"]).is_some() {
            s.push('!');
        }
        let write = self.bool_at(&["readOnly"]).as_deref() == Some("false");
        s.push_str(if write { "→" } else { "←" });
        s.push(' ');
        s.push_str(&name);
        if name == "PutBucketPublicAccessBlock" {
            if self
                .at(&["requestParameters", "PublicAccessBlockConfiguration"])
                .is_some()
            {
                // Upstream reads the four flags from the record root (Q-CT2),
                // so they always print false; kept for identical output.
                s.push_str(
                    " BlockPublicAcls=false BlockPublicPolicy=false IgnorePublicAcls=false RestrictPublicBuckets=false ",
                );
            }
            return s;
        }
        if let Some(size) = self.s3_bytes() {
            s.push_str(&format!(" Size={size}"));
        }
        if let Some(uri) = self.s3_uri() {
            s.push_str(&format!(" URI={uri}"));
        } else if let Some(b) = self.str_at(&["requestParameters", "bucketName"]) {
            s.push_str(&format!(" Bucket={b}"));
        } else if let Some(k) = self.str_at(&["requestParameters", "key"]) {
            s.push_str(&format!(" Key={k}"));
        } else if let Some(h) = self.str_at(&["requestParameters", "Host"]) {
            s.push_str(&format!(" Host={h}"));
        }
        s
    }

    /// `evt.plugininfo`; `Err` names the missing key.
    pub fn plugininfo(&self) -> Result<String, &'static str> {
        let src = self.shortsrc().ok_or("eventSource")?;
        let region = self.str_at(&["awsRegion"]).ok_or("awsRegion")?;
        let name = self.str_at(&["eventName"]).ok_or("eventName")?;
        let mut s = region;
        if let Some(user) = self.user().filter(|u| !u.is_empty()) {
            s.push(' ');
            s.push_str(&user);
        }
        Ok(format!("{s} {src} {name} {}", self.info()))
    }
}

/// Field types as the plugin declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string.
    Str,
    /// An unsigned 64-bit integer.
    U64,
    /// A list of strings with an optional index argument.
    StrList,
}

/// A computed field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    U64(u64),
    /// A list of strings.
    List(Vec<String>),
}

/// What a field reads.
#[derive(Debug, Clone, Copy)]
enum How {
    /// String at a path.
    S(&'static [&'static str]),
    /// Boolean at a path, as `"true"`/`"false"`.
    B(&'static [&'static str]),
    /// Sub-value at a path as compact JSON.
    J(&'static [&'static str]),
    /// Computed.
    F(fn(&Rec<'_>) -> Option<Value>),
}

/// One field: name, type, description, flags.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// Field name, e.g. `ct.user`.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Description (for the field listing).
    pub desc: &'static str,
    /// Hidden from listings.
    pub hidden: bool,
    how: How,
}

const fn f(name: &'static str, desc: &'static str, how: How) -> FieldDef {
    FieldDef {
        name,
        ty: FieldType::Str,
        desc,
        hidden: false,
        how,
    }
}

const fn u(name: &'static str, desc: &'static str, hidden: bool, how: How) -> FieldDef {
    FieldDef {
        name,
        ty: FieldType::U64,
        desc,
        hidden,
        how,
    }
}

fn s(v: Option<String>) -> Option<Value> {
    v.map(Value::Str)
}

fn n(v: Option<u64>) -> Option<Value> {
    v.map(Value::U64)
}

const RP: &str = "requestParameters";

/// Every field of the plugin, in listing order.
pub const FIELDS: &[FieldDef] = &[
    f("ct.id", "the unique ID of the cloudtrail event (eventID in the json).", How::S(&["eventID"])),
    f("ct.error", "The error code from the event. Will be \"\" (e.g. the empty string) if no error.", How::S(&["errorCode"])),
    f("ct.errormessage", "The description of an error, if applicable.", How::S(&["errorMessage"])),
    FieldDef { hidden: true, ..f("ct.time", "the timestamp of the cloudtrail event (eventTime in the json).", How::S(&["eventTime"])) },
    f("ct.src", "the source of the cloudtrail event (eventSource in the json).", How::S(&["eventSource"])),
    f("ct.shortsrc", "the source of the cloudtrail event (eventSource in the json, without the '.amazonaws.com' trailer).", How::F(|r| s(r.shortsrc()))),
    f("ct.name", "the name of the cloudtrail event (eventName in the json).", How::S(&["eventName"])),
    f("ct.user", "the user of the cloudtrail event (userIdentity.userName in the json).", How::F(|r| s(r.user()))),
    f("ct.originaluser", "the original user of the cloudtrail event (for AssumedRole: the session name).", How::F(|r| s(r.original_user()))),
    f("ct.user.accountid", "the account id of the user of the cloudtrail event.", How::F(|r| s(r.user_account_id()))),
    f("ct.user.identitytype", "the kind of user identity (e.g. Root, IAMUser,AWSService, etc.)", How::S(&["userIdentity", "type"])),
    f("ct.user.principalid", "A unique identifier for the user that made the request.", How::S(&["userIdentity", "principalId"])),
    f("ct.user.arn", "the Amazon Resource Name (ARN) of the user that made the request.", How::S(&["userIdentity", "arn"])),
    f("ct.region", "the region of the cloudtrail event (awsRegion in the json).", How::S(&["awsRegion"])),
    f("ct.response.subnetid", "the subnet ID included in the response.", How::S(&["responseElements", "subnetId"])),
    f("ct.response.reservationid", "the reservation ID included in the response.", How::S(&["responseElements", "reservationId"])),
    f("ct.response", "All response elements.", How::J(&["responseElements"])),
    f("ct.request.availabilityzone", "the availability zone included in the request.", How::S(&[RP, "availabilityZone"])),
    f("ct.request.cluster", "the cluster included in the request.", How::S(&[RP, "cluster"])),
    f("ct.request.functionname", "the function name included in the request.", How::S(&[RP, "functionName"])),
    f("ct.request.groupname", "the group name included in the request.", How::S(&[RP, "groupName"])),
    f("ct.request.host", "the host included in the request", How::S(&[RP, "Host"])),
    f("ct.request.name", "the name of the entity included in the request.", How::S(&[RP, "name"])),
    f("ct.request.policy", "the policy included in the request", How::S(&[RP, "policy"])),
    f("ct.request.reason", "the reason included in the request.", How::S(&[RP, "reason"])),
    f("ct.request.target", "the target included in the request.", How::S(&[RP, "target"])),
    f("ct.request.documentname", "the document name included in the request.", How::S(&[RP, "documentName"])),
    f("ct.request.serialnumber", "the serial number provided in the request.", How::S(&[RP, "serialNumber"])),
    f("ct.request.servicename", "the service name provided in the request.", How::S(&[RP, "serviceName"])),
    f("ct.request.subnetid", "the subnet ID provided in the request.", How::S(&[RP, "subnetId"])),
    f("ct.request.taskdefinition", "the task definition prodided in the request.", How::S(&[RP, "taskDefinition"])),
    f("ct.request.username", "the username provided in the request.", How::S(&[RP, "userName"])),
    f("ct.request", "All request parameters.", How::J(&[RP])),
    f("ct.srcip", "the IP address generating the event (sourceIPAddress in the json).", How::S(&["sourceIPAddress"])),
    f("ct.useragent", "the user agent generating the event (userAgent in the json).", How::S(&["userAgent"])),
    f("ct.info", "summary information about the event. This varies depending on the event type and, for some events, it contains event-specific details.", How::F(|r| Some(Value::Str(r.info())))),
    f("ct.managementevent", "'true' if the event is a management event (AwsApiCall, AwsConsoleAction, AwsConsoleSignIn, or AwsServiceEvent), 'false' otherwise.", How::B(&["managementEvent"])),
    f("ct.readonly", "'true' if the event only reads information (e.g. DescribeInstances), 'false' if the event modifies the state (e.g. RunInstances, CreateLoadBalancer...).", How::B(&["readOnly"])),
    f("ct.requestid", "The value that identifies the request. The service being called generates this value.", How::S(&["requestID"])),
    f("ct.eventtype", "Identifies the type of event that generated the event record.", How::S(&["eventType"])),
    f("ct.apiversion", "The API version associated with the AwsApiCall eventType value.", How::S(&["apiVersion"])),
    f("ct.resources", "A list of resources accessed in the event.", How::F(|r| s(r.resources()))),
    f("ct.recipientaccountid", "The account ID that received this event.", How::S(&["recipientAccountId"])),
    f("ct.serviceeventdetails", "Identifies the service event, including what triggered the event and the result.", How::S(&["serviceEventDetails"])),
    f("ct.sharedeventid", "GUID generated by CloudTrail to uniquely identify CloudTrail events.", How::S(&["sharedEventID"])),
    f("ct.vpcendpointid", "Identifies the VPC endpoint in which requests were made.", How::S(&["vpcEndpointId"])),
    f("ct.eventcategory", "Shows the event category that is used in LookupEvents calls.", How::S(&["eventCategory"])),
    f("ct.addendum.reason", "The reason that the event or some of its contents were missing.", How::S(&["addendum", "reason"])),
    f("ct.addendum.updatedfields", "The event record fields that are updated by the addendum.", How::S(&["addendum", "updatedFields"])),
    f("ct.addendum.originalrequestid", "The original unique ID of the request.", How::S(&["addendum", "originalRequestID"])),
    f("ct.addendum.originaleventid", "The original event ID.", How::S(&["addendum", "originalEventID"])),
    f("ct.sessioncredentialfromconsole", "Identifies whether or not an event originated from an AWS Management Console session.", How::B(&["sessionCredentialFromConsole"])),
    f("ct.edgedevicedetails", "Information about edge devices that are targets of a request.", How::S(&["edgeDeviceDetails"])),
    f("ct.tlsdetails.tlsversion", "The TLS version of a request.", How::S(&["tlsDetails", "tlsVersion"])),
    f("ct.tlsdetails.ciphersuite", "The cipher suite (combination of security algorithms used) of a request.", How::S(&["tlsDetails", "cipherSuite"])),
    f("ct.tlsdetails.clientprovidedhostheader", "The client-provided host name used in the service API call.", How::S(&["tlsDetails", "clientProvidedHostHeader"])),
    f("ct.additionaleventdata", "All additional event data attributes.", How::J(&["additionalEventData"])),
    f("s3.uri", "the s3 URI (s3://<bucket>/<key>).", How::F(|r| s(r.s3_uri()))),
    f("s3.bucket", "the bucket name for s3 events.", How::S(&[RP, "bucketName"])),
    f("s3.key", "the S3 key name (input.key in the json).", How::S(&[RP, "key"])),
    u("s3.bytes", "the size of an s3 download or upload, in bytes.", false, How::F(|r| n(r.s3_bytes()))),
    u("s3.bytes.in", "the size of an s3 upload, in bytes.", true, How::F(|r| n(r.s3_bytes_in()))),
    u("s3.bytes.out", "the size of an s3 download, in bytes.", true, How::F(|r| n(r.s3_bytes_out()))),
    u("s3.cnt.get", "the number of get operations. This field is 1 for GetObject events.", true, How::F(|r| n(r.s3_cnt_get()))),
    u("s3.cnt.put", "the number of put operations. This field is 1 for PutObject events.", true, How::F(|r| n(r.s3_cnt_put()))),
    u("s3.cnt.other", "the number of non I/O operations. This field is 1 for events that are not GetObject or PutObject.", true, How::F(|r| n(r.s3_cnt_other()))),
    f("ec2.name", "the name of the ec2 instances, typically stored in the instance tags.", How::F(|r| s(r.ec2_name()))),
    f("ec2.imageid", "the ID for the image used to run the ec2 instance in the response (deprecated: use ec2.imageids).", How::F(|r| r.ec2_image_ids(Some(0)).into_iter().next().map(Value::Str))),
    FieldDef { ty: FieldType::StrList, ..f("ec2.imageids", "the IDs of the images used to run the ec2 instances (optional index).", How::F(|_| None)) },
    f("ecr.repository", "the name of the ecr Repository specified in the request.", How::S(&[RP, "repositoryName"])),
    f("ecr.imagetag", "the tag of the image specified in the request.", How::S(&[RP, "imageTag"])),
    f("iam.role", "the IAM role specified in the request.", How::S(&[RP, "roleName"])),
    f("iam.policy", "the IAM policy specified in the request.", How::S(&[RP, "policyName"])),
];

/// Extract field `def` (with an optional index argument, only meaningful for
/// list fields) from a record. `None` = absent.
pub fn extract(def: &FieldDef, rec: &Rec<'_>, index: Option<u64>) -> Option<Value> {
    if def.ty == FieldType::StrList {
        let v = rec.ec2_image_ids(index);
        return (!v.is_empty()).then_some(Value::List(v));
    }
    match def.how {
        How::S(p) => rec.str_at(p).map(Value::Str),
        How::B(p) => rec.bool_at(p).map(Value::Str),
        How::J(p) => rec.json_at(p).map(Value::Str),
        How::F(g) => g(rec),
    }
}

/// Look a field up by name.
pub fn field(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|d| d.name == name)
}

#[cfg(test)]
mod tests;
