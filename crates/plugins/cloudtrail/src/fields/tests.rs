use super::*;

fn get(rec: &str, name: &str) -> Option<Value> {
    let p = Parsed::new(rec.as_bytes()).unwrap();
    let r = p.record().unwrap();
    extract(field(name).unwrap(), &r, None)
}

fn st(rec: &str, name: &str) -> Option<String> {
    match get(rec, name) {
        Some(Value::Str(s)) => Some(s),
        None => None,
        other => panic!("{name}: {other:?}"),
    }
}

fn num(rec: &str, name: &str) -> Option<u64> {
    match get(rec, name) {
        Some(Value::U64(n)) => Some(n),
        None => None,
        other => panic!("{name}: {other:?}"),
    }
}

// The Stratus `StopLogging` record (shared/cloudtrail/stratus-red-team), keys
// as upstream, whitespace compacted.
const STOP: &str = r#"{"awsRegion": "apiso-centralnorth-2r", "eventCategory": "Management", "eventID": "10163ed2-2253-469d-a5ee-cbc6651f8934", "eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com", "eventTime": "2024-07-31T13:06:24Z", "eventType": "AwsApiCall", "eventVersion": "1.10", "managementEvent": true, "readOnly": false, "recipientAccountId": "143434273843", "requestID": "14c891b6-11b5-4787-ae97-64a974977078", "requestParameters": {"name": "stratus-red-team-ct-stop-trail-buykxbqejv"}, "responseElements": null, "sourceIPAddress": "86.245.153.234", "tlsDetails": {"cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "cloudtrail.apiso-centralnorth-2r.amazonaws.com", "tlsVersion": "TLSv1.3"}, "userAgent": "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571", "userIdentity": {"accessKeyId": "AKIAGGWFBBHBE7D3M9WI", "accountId": "143434273843", "arn": "arn:aws:iam::143434273843:user/christophe", "principalId": "AIDAOC1SYDVN0AF0FMMR", "type": "IAMUser", "userName": "christophe"}}"#;

#[test]
fn stop_logging() {
    assert_eq!(st(STOP, "ct.name").as_deref(), Some("StopLogging"));
    assert_eq!(st(STOP, "ct.user").as_deref(), Some("christophe"));
    assert_eq!(st(STOP, "ct.originaluser").as_deref(), Some("christophe"));
    assert_eq!(st(STOP, "ct.user.identitytype").as_deref(), Some("IAMUser"));
    assert_eq!(
        st(STOP, "ct.user.accountid").as_deref(),
        Some("143434273843")
    );
    assert_eq!(st(STOP, "ct.shortsrc").as_deref(), Some("cloudtrail"));
    assert_eq!(
        st(STOP, "ct.src").as_deref(),
        Some("cloudtrail.amazonaws.com")
    );
    assert_eq!(st(STOP, "ct.srcip").as_deref(), Some("86.245.153.234"));
    assert_eq!(
        st(STOP, "ct.region").as_deref(),
        Some("apiso-centralnorth-2r")
    );
    assert_eq!(st(STOP, "ct.readonly").as_deref(), Some("false"));
    assert_eq!(st(STOP, "ct.managementevent").as_deref(), Some("true"));
    assert_eq!(st(STOP, "ct.error"), None);
    assert_eq!(st(STOP, "ct.response").as_deref(), Some("null"));
    assert_eq!(
        st(STOP, "ct.request").as_deref(),
        Some(r#"{"name":"stratus-red-team-ct-stop-trail-buykxbqejv"}"#)
    );
    assert_eq!(
        st(STOP, "ct.request.name").as_deref(),
        Some("stratus-red-team-ct-stop-trail-buykxbqejv")
    );
    assert_eq!(
        st(STOP, "ct.tlsdetails.tlsversion").as_deref(),
        Some("TLSv1.3")
    );
    assert_eq!(st(STOP, "ct.eventcategory").as_deref(), Some("Management"));
    assert_eq!(st(STOP, "ct.time").as_deref(), Some("2024-07-31T13:06:24Z"));
    assert_eq!(
        st(STOP, "ct.info").as_deref(),
        Some("christophe via 86.245.153.234 → StopLogging")
    );
    let p = Parsed::new(STOP.as_bytes()).unwrap();
    assert_eq!(
        p.record().unwrap().plugininfo().unwrap(),
        "apiso-centralnorth-2r christophe cloudtrail StopLogging christophe via 86.245.153.234 → StopLogging"
    );
    assert_eq!(num(STOP, "s3.cnt.other"), Some(1));
    assert_eq!(num(STOP, "s3.cnt.get"), None);
    assert_eq!(num(STOP, "s3.bytes"), None);
    assert_eq!(st(STOP, "ct.resources"), None);
    assert_eq!(st(STOP, "ec2.imageid"), None);
}

const RUN: &str = r#"{"eventTime":"2024-04-02T15:13:06Z","eventType":"AwsApiCall","eventName":"RunInstances",
 "eventSource":"ec2.amazonaws.com","awsRegion":"us-west-2","sourceIPAddress":"1.2.3.4","readOnly":false,
 "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/ARole/user.name",
   "principalId":"AROAVKVYIOO7JN7TN7NSA:user.name","accountId":"123456789012",
   "sessionContext":{"sessionIssuer":{"userName":"ARole"}}},
 "requestParameters":{"instancesSet":{"items":[{"imageId":"ami-req"}]},
   "tagSpecificationSet":{"items":[{"resourceType":"volume","tags":[{"key":"Name","value":"vol"}]},
     {"resourceType":"instance","tags":[{"key":"Env","value":"x"},{"key":"Name","value":"web"}]}]}},
 "responseElements":{"reservationId":"r-1","instancesSet":{"items":[{"imageId":"ami-1"},{"imageId":""},{"imageId":"ami-3"}]}},
 "errorCode":null,"resources":[{"ARN":"a", "type" : "t"},{"ARN":"b"}]}"#;

#[test]
fn run_instances() {
    assert_eq!(st(RUN, "ct.user").as_deref(), Some("ARole"));
    assert_eq!(st(RUN, "ct.originaluser").as_deref(), Some("user.name"));
    assert_eq!(st(RUN, "ec2.name").as_deref(), Some("web"));
    assert_eq!(st(RUN, "ec2.imageid").as_deref(), Some("ami-1"));
    assert_eq!(
        get(RUN, "ec2.imageids"),
        Some(Value::List(vec!["ami-1".into(), "ami-3".into()]))
    );
    let p = Parsed::new(RUN.as_bytes()).unwrap();
    let r = p.record().unwrap();
    assert_eq!(r.ec2_image_ids(Some(2)), ["ami-3"]);
    assert!(r.ec2_image_ids(Some(7)).is_empty());
    assert_eq!(st(RUN, "ct.response.reservationid").as_deref(), Some("r-1"));
    // errorCode null: present, empty; `!` in ct.info.
    assert_eq!(st(RUN, "ct.error").as_deref(), Some(""));
    assert_eq!(
        st(RUN, "ct.info").as_deref(),
        Some("ARole via 1.2.3.4 !→ RunInstances")
    );
    assert_eq!(
        st(RUN, "ct.resources").as_deref(),
        Some(r#"{"ARN":"a","type":"t"},{"ARN":"b"}"#)
    );
    assert_eq!(st(RUN, "ct.shortsrc").as_deref(), Some("ec2"));
}

#[test]
fn identities() {
    let rec = |ui: &str| format!(r#"{{"userIdentity":{ui},"recipientAccountId":"999"}}"#);
    let user = |ui: &str| st(&rec(ui), "ct.user");
    assert_eq!(
        user(r#"{"type":"Root","userName":"r"}"#).as_deref(),
        Some("r")
    );
    assert_eq!(user(r#"{"type":"Root"}"#), None);
    assert_eq!(
        user(r#"{"type":"AWSService","invokedBy":"s.amazonaws.com"}"#).as_deref(),
        Some("s.amazonaws.com")
    );
    assert_eq!(
        user(r#"{"type":"AssumedRole"}"#).as_deref(),
        Some("AssumedRole")
    );
    assert_eq!(
        user(r#"{"type":"AWSAccount"}"#).as_deref(),
        Some("AWSAccount")
    );
    assert_eq!(
        user(r#"{"type":"FederatedUser"}"#).as_deref(),
        Some("FederatedUser")
    );
    assert_eq!(user(r#"{"type":"SAMLUser","userName":"x"}"#), None);
    assert_eq!(user(r#"{"userName":"x"}"#), None);
    let orig = |ui: &str| st(&rec(ui), "ct.originaluser");
    assert_eq!(
        orig(r#"{"type":"AssumedRole","arn":"a/b","principalId":"p:s"}"#).as_deref(),
        Some("s")
    );
    assert_eq!(
        orig(r#"{"type":"AssumedRole","arn":"a/b","principalId":"p:s:t"}"#),
        None
    );
    assert_eq!(
        orig(r#"{"type":"SAMLUser","userName":"u"}"#).as_deref(),
        Some("u")
    );
    assert_eq!(
        st(&rec(r#"{"type":"Root"}"#), "ct.user.accountid").as_deref(),
        Some("999")
    );
    assert_eq!(
        st(&rec(r#"{"type":1}"#), "ct.user.identitytype").as_deref(),
        Some("")
    );
    // No user: ct.info says so; plugininfo needs eventSource.
    assert_eq!(
        st(r#"{"eventName":"x"}"#, "ct.info").as_deref(),
        Some("<invalid cloudtrail event: userIdentity field missing>")
    );
    let p = Parsed::new(br#"{"awsRegion":"r","eventName":"n"}"#).unwrap();
    assert_eq!(p.record().unwrap().plugininfo(), Err("eventSource"));
}

#[test]
fn s3_fields_and_info_extras() {
    let get_obj = r#"{"eventName":"GetObject","sourceIPAddress":"1.1.1.1","readOnly":true,
        "userIdentity":{"type":"IAMUser","userName":"u"},
        "requestParameters":{"bucketName":"bk","key":"a/b.txt","Host":"h"},
        "additionalEventData":{"bytesTransferredIn":33.0,"bytesTransferredOut":7}}"#;
    assert_eq!(st(get_obj, "s3.uri").as_deref(), Some("s3://bk/a/b.txt"));
    assert_eq!(num(get_obj, "s3.bytes"), Some(40));
    assert_eq!(num(get_obj, "s3.bytes.in"), Some(33));
    assert_eq!(num(get_obj, "s3.cnt.get"), Some(1));
    assert_eq!(num(get_obj, "s3.cnt.other"), None);
    assert_eq!(
        st(get_obj, "ct.info").as_deref(),
        Some("u via 1.1.1.1 ← GetObject Size=40 URI=s3://bk/a/b.txt")
    );
    assert_eq!(
        st(get_obj, "ct.additionaleventdata").as_deref(),
        Some(r#"{"bytesTransferredIn":33.0,"bytesTransferredOut":7}"#)
    );
    let bucket_only = r#"{"eventName":"PutBucketAcl","sourceIPAddress":"u","userIdentity":{"type":"IAMUser","userName":"u"},
        "requestParameters":{"bucketName":"bk"},"additionalEventData":{"bytesTransferredOut":"x"}}"#;
    assert_eq!(
        st(bucket_only, "ct.info").as_deref(),
        Some("u ← PutBucketAcl Size=0 Bucket=bk")
    );
    assert_eq!(st(bucket_only, "s3.uri"), None);
    let pab = r#"{"eventName":"PutBucketPublicAccessBlock","sourceIPAddress":"u","readOnly":false,
        "userIdentity":{"type":"IAMUser","userName":"u"},
        "requestParameters":{"bucketName":"bk","PublicAccessBlockConfiguration":{"BlockPublicAcls":true}}}"#;
    assert_eq!(
        st(pab, "ct.info").as_deref(),
        Some("u → PutBucketPublicAccessBlock BlockPublicAcls=false BlockPublicPolicy=false IgnorePublicAcls=false RestrictPublicBuckets=false ")
    );
}

#[test]
fn booleans_and_odd_values() {
    let r = r#"{"readOnly":"true","sessionCredentialFromConsole":"true","managementEvent":true,
        "serviceEventDetails":{"a":1},"requestParameters":{"documentName":"d","policy":5}}"#;
    assert_eq!(st(r, "ct.readonly").as_deref(), Some("false"));
    assert_eq!(
        st(r, "ct.sessioncredentialfromconsole").as_deref(),
        Some("false")
    );
    assert_eq!(st(r, "ct.managementevent").as_deref(), Some("true"));
    assert_eq!(st(r, "ct.serviceeventdetails").as_deref(), Some(""));
    assert_eq!(st(r, "ct.request.documentname").as_deref(), Some("d"));
    assert_eq!(st(r, "ct.request.policy").as_deref(), Some(""));
    assert_eq!(st(r, "ct.shortsrc"), None);
    assert_eq!(
        st(r#"{"eventSource":".amazonaws.com"}"#, "ct.shortsrc").as_deref(),
        Some(".amazonaws.com")
    );
    assert_eq!(st(r#"{"resources":[]}"#, "ct.resources"), None);
    assert_eq!(
        st(r#"{"eventName":"a\u00e9\"b"}"#, "ct.name").as_deref(),
        Some("aé\"b")
    );
}

#[test]
fn field_table_is_sane() {
    let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate field names");
    // Every field the official rules use exists.
    for f in [
        "ct.error",
        "ct.id",
        "ct.name",
        "ct.region",
        "ct.request.availabilityzone",
        "ct.request.cluster",
        "ct.request.functionname",
        "ct.request.groupname",
        "ct.request.host",
        "ct.request.name",
        "ct.request.policy",
        "ct.request.serialnumber",
        "ct.request.servicename",
        "ct.request.taskdefinition",
        "ct.request.username",
        "ct.response.reservationid",
        "ct.response.subnetid",
        "ct.src",
        "ct.srcip",
        "ct.user",
        "ct.user.arn",
        "ct.user.identitytype",
        "ct.user.principalid",
        "s3.bucket",
    ] {
        assert!(field(f).is_some(), "{f}");
    }
}
