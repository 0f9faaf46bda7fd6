//! The WeCom stand-in's contact book: staff members, customers, who is whose customer, corporate
//! tags, channel codes, join codes and transfers, with the customer-contact routes that read and
//! change it ([`relations`], [`ways`], [`transfers`], [`tags`]) and the test API's moves (a
//! customer adds a staff member, removes one, …) with the callbacks WeCom would send for them.
//! Changes made through the API send no callback, as in WeCom.

mod relations;
mod tags;
mod transfers;
mod ways;

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};

use super::state::{HOLD, Shared};
use super::wecom::{self, CORP_ID, token_refusal};
use super::{CallbackRequest, ContactWayRecord, Fault, JoinWayRecord, TransferRecord};

pub(crate) use transfers::finish as finish_transfers;

/// Everything the customer-contact routes know.
#[derive(Default)]
pub(crate) struct Book {
    /// In the order added.
    staff: Vec<Staff>,
    customers: BTreeMap<String, Customer>,
    /// In the order made.
    follows: Vec<Follow>,
    tag_groups: Vec<TagGroup>,
    pub contact_ways: Vec<ContactWayRecord>,
    pub join_ways: Vec<JoinWayRecord>,
    pub transfers: Vec<TransferRecord>,
    /// (sender, customer, day in UTC+8) of each mass message a customer of the book received.
    mass_received: HashSet<(String, String, NaiveDate)>,
}

struct Staff {
    userid: String,
    departed_at: Option<DateTime<Utc>>,
}

struct Customer {
    name: String,
    unionid: Option<String>,
}

/// One staff member's relationship with one customer.
#[derive(Clone)]
struct Follow {
    staff: String,
    external: String,
    createtime: DateTime<Utc>,
    add_way: i64,
    state: Option<String>,
    remark: String,
    tag_ids: Vec<String>,
    oper_userid: String,
}

struct TagGroup {
    group_id: String,
    group_name: String,
    create_time: i64,
    order: i64,
    tags: Vec<Tag>,
}

struct Tag {
    id: String,
    name: String,
    create_time: i64,
    order: i64,
}

impl Book {
    fn staff(&self, userid: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.userid == userid)
    }

    /// A member who has not left.
    fn active(&self, userid: &str) -> bool {
        self.staff(userid).is_some_and(|s| s.departed_at.is_none())
    }

    pub(crate) fn knows_customer(&self, external: &str) -> bool {
        self.customers.contains_key(external)
    }

    fn follow(&self, staff: &str, external: &str) -> Option<&Follow> {
        self.follows.iter().find(|f| f.staff == staff && f.external == external)
    }

    fn follow_mut(&mut self, staff: &str, external: &str) -> Option<&mut Follow> {
        self.follows.iter_mut().find(|f| f.staff == staff && f.external == external)
    }

    fn is_friend(&self, staff: &str, external: &str) -> bool {
        self.follow(staff, external).is_some()
    }

    /// Relationships with members who have not left: the ones the read routes show.
    fn current_follows(&self) -> impl Iterator<Item = &Follow> {
        self.follows.iter().filter(|f| self.active(&f.staff))
    }

    fn remove_follow(&mut self, staff: &str, external: &str) -> Option<Follow> {
        let at = self.follows.iter().position(|f| f.staff == staff && f.external == external)?;
        Some(self.follows.remove(at))
    }

    /// Make (or remake) a relationship, its staff member and customer included.
    fn put_follow(&mut self, follow: Follow) {
        self.ensure_staff(&follow.staff);
        self.ensure_customer(&follow.external);
        self.remove_follow(&follow.staff, &follow.external);
        self.follows.push(follow);
    }

    fn ensure_staff(&mut self, userid: &str) {
        if self.staff(userid).is_none() {
            self.staff.push(Staff { userid: userid.to_string(), departed_at: None });
        }
    }

    fn ensure_customer(&mut self, external: &str) {
        if !self.customers.contains_key(external) {
            let tail = external.get(external.len().saturating_sub(4)..).unwrap_or(external);
            let name = format!("客户{tail}");
            self.customers.insert(external.to_string(), Customer { name, unionid: None });
        }
    }

    fn tag(&self, id: &str) -> Option<(&TagGroup, &Tag)> {
        self.tag_groups.iter().find_map(|g| g.tags.iter().find(|t| t.id == id).map(|t| (g, t)))
    }

    /// Whether WeCom leaves `external` out of a mass send by `sender` (any staff member when
    /// None): a customer of the book who is not (or no longer) their contact.
    pub(crate) fn refuses_mass(&self, sender: Option<&str>, external: &str) -> bool {
        self.knows_customer(external) && !self.reaches(sender, external)
    }

    fn reaches(&self, sender: Option<&str>, external: &str) -> bool {
        match sender {
            Some(sender) => self.is_friend(sender, external),
            None => self.current_follows().any(|f| f.external == external),
        }
    }

    /// A confirmed mass send's status for a customer of the book: 2 no longer a contact, 3
    /// already had one from this sender today (UTC+8), else 1.
    pub(crate) fn confirm_mass(&mut self, sender: Option<&str>, external: &str, now: DateTime<Utc>) -> u8 {
        if !self.reaches(sender, external) {
            return 2;
        }
        let day = (now + chrono::Duration::hours(8)).date_naive();
        let key = (sender.unwrap_or_default().to_string(), external.to_string(), day);
        if self.mass_received.insert(key) { 1 } else { 3 }
    }
}

pub(crate) fn routes(router: Router<std::sync::Arc<Shared>>) -> Router<std::sync::Arc<Shared>> {
    const EC: &str = "/cgi-bin/externalcontact";
    router
        .route(&format!("{EC}/get_follow_user_list"), get(relations::follow_users))
        .route(&format!("{EC}/batch/get_by_user"), post(relations::by_user))
        .route(&format!("{EC}/get"), get(relations::customer))
        .route(&format!("{EC}/add_contact_way"), post(ways::add_contact_way))
        .route(&format!("{EC}/get_contact_way"), post(ways::get_contact_way))
        .route(&format!("{EC}/update_contact_way"), post(ways::update_contact_way))
        .route(&format!("{EC}/del_contact_way"), post(ways::del_contact_way))
        .route(&format!("{EC}/groupchat/add_join_way"), post(ways::add_join_way))
        .route(&format!("{EC}/groupchat/get_join_way"), post(ways::get_join_way))
        .route(&format!("{EC}/groupchat/del_join_way"), post(ways::del_join_way))
        .route(&format!("{EC}/transfer_customer"), post(transfers::in_service))
        .route(&format!("{EC}/transfer_result"), post(transfers::in_service_result))
        .route(&format!("{EC}/resigned/transfer_customer"), post(transfers::resigned))
        .route(&format!("{EC}/resigned/transfer_result"), post(transfers::resigned_result))
        .route(&format!("{EC}/get_unassigned_list"), post(transfers::unassigned))
        .route(&format!("{EC}/get_corp_tag_list"), post(tags::list))
        .route(&format!("{EC}/add_corp_tag"), post(tags::add))
        .route(&format!("{EC}/mark_tag"), post(tags::mark))
}

/// What every customer-contact call starts with: the request counted, the token checked, and
/// the next queued fault taken if it is one these routes answer (ServerError 500, Throttle
/// 45033, Quota 45009, Timeout held); Ok(true) holds the answer.
async fn admit(shared: &Shared, q: &HashMap<String, String>) -> Result<bool, Response> {
    shared.begin().await;
    if let Some(refusal) = token_refusal(shared, q) {
        return Err(refusal);
    }
    let fault = {
        let mut state = shared.lock();
        match state.next.front() {
            Some(Fault::ServerError | Fault::Throttle | Fault::Quota | Fault::Timeout) => state.next.pop_front(),
            _ => None,
        }
    };
    match fault {
        Some(Fault::ServerError) => Err((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()),
        Some(Fault::Throttle) => Err(wecom::refuse(45033, "api concurrent out of limit")),
        Some(Fault::Quota) => Err(wecom::refuse(45009, "api freq out of limit")),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

async fn answer(hold: bool, response: Response) -> Response {
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    response
}

/// A paging cursor: a position, opaque as WeCom's are.
fn cursor_at(position: usize) -> String {
    format!("EC{}", hex::encode((position as u64).to_be_bytes()))
}

/// The position `cursor` stands for: 0 for none, None for one not issued here.
fn cursor_position(cursor: &str) -> Option<usize> {
    if cursor.is_empty() {
        return Some(0);
    }
    let bytes: [u8; 8] = hex::decode(cursor.strip_prefix("EC")?).ok()?.try_into().ok()?;
    usize::try_from(u64::from_be_bytes(bytes)).ok()
}

/// An id in the style of WeCom's tag and group ids (`et…`).
fn tag_id() -> String {
    format!("et{}", hex::encode(rand::random::<[u8; 15]>()))
}

// ---------------------------------------------------------------------------------------------
// The test API's moves

pub(crate) fn add_staff(shared: &Shared, userid: &str) {
    let mut state = shared.lock();
    match state.contacts.staff.iter_mut().find(|s| s.userid == userid) {
        Some(staff) => staff.departed_at = None,
        None => state.contacts.ensure_staff(userid),
    }
}

pub(crate) fn depart_staff(shared: &Shared, userid: &str) {
    let mut state = shared.lock();
    state.contacts.ensure_staff(userid);
    if let Some(staff) = state.contacts.staff.iter_mut().find(|s| s.userid == userid) {
        staff.departed_at.get_or_insert_with(Utc::now);
    }
}

pub(crate) fn add_customer(shared: &Shared, external: &str, name: &str, unionid: Option<&str>) {
    let customer = Customer { name: name.to_string(), unionid: unionid.map(str::to_string) };
    shared.lock().contacts.customers.insert(external.to_string(), customer);
}

pub(crate) fn customer_adds(shared: &Shared, staff: &str, external: &str, state: Option<&str>) -> CallbackRequest {
    let follow = Follow {
        staff: staff.to_string(),
        external: external.to_string(),
        createtime: Utc::now(),
        add_way: if state.is_some() { 1 } else { 0 },
        state: state.map(str::to_string),
        remark: String::new(),
        tag_ids: Vec::new(),
        oper_userid: external.to_string(),
    };
    shared.lock().contacts.put_follow(follow);
    let code = wecom::issue_welcome_code(shared, external);
    let state = state.map(|s| format!("<State>{}</State>", cdata(s))).unwrap_or_default();
    let extra = format!("{state}<WelcomeCode>{}</WelcomeCode>", cdata(&code));
    callback("add_external_contact", staff, external, &extra)
}

pub(crate) fn silently_add(shared: &Shared, staff: &str, external: &str, createtime: DateTime<Utc>) {
    let follow = Follow {
        staff: staff.to_string(),
        external: external.to_string(),
        createtime,
        add_way: 0,
        state: None,
        remark: String::new(),
        tag_ids: Vec::new(),
        oper_userid: staff.to_string(),
    };
    shared.lock().contacts.put_follow(follow);
}

pub(crate) fn silently_remove(shared: &Shared, staff: &str, external: &str) -> bool {
    shared.lock().contacts.remove_follow(staff, external).is_some()
}

pub(crate) fn customer_removes(shared: &Shared, staff: &str, external: &str) -> CallbackRequest {
    shared.lock().contacts.remove_follow(staff, external);
    callback("del_follow_user", staff, external, "")
}

pub(crate) fn staff_removes(shared: &Shared, staff: &str, external: &str) -> CallbackRequest {
    shared.lock().contacts.remove_follow(staff, external);
    callback("del_external_contact", staff, external, "")
}

pub(crate) fn staff_tags(shared: &Shared, staff: &str, external: &str, tag_ids: &[&str]) -> CallbackRequest {
    {
        let mut state = shared.lock();
        let book = &mut state.contacts;
        if let Some(unknown) = tag_ids.iter().find(|id| book.tag(id).is_none()) {
            panic!("staff_tags: {unknown} is not a corporate tag of the stand-in");
        }
        let follow = book.follow_mut(staff, external).expect("staff_tags: they are not contacts");
        follow.tag_ids = tag_ids.iter().map(|id| id.to_string()).collect();
    }
    callback("edit_external_contact", staff, external, "")
}

pub(crate) fn tags_of(shared: &Shared, staff: &str, external: &str) -> Vec<String> {
    shared.lock().contacts.follow(staff, external).map(|f| f.tag_ids.clone()).unwrap_or_default()
}

pub(crate) fn is_friend(shared: &Shared, staff: &str, external: &str) -> bool {
    shared.lock().contacts.is_friend(staff, external)
}

/// A `change_external_contact` callback as WeCom posts it.
fn callback(change_type: &str, staff: &str, external: &str, extra: &str) -> CallbackRequest {
    let xml = format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[change_external_contact]]></Event><ChangeType>{}</ChangeType>\
         <UserID>{}</UserID><ExternalUserID>{}</ExternalUserID>{extra}</xml>",
        cdata(CORP_ID),
        Utc::now().timestamp(),
        cdata(change_type),
        cdata(staff),
        cdata(external),
    );
    let (query, body) = wecom::callback_request(&xml);
    CallbackRequest { query, body, plain: xml }
}

fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}
