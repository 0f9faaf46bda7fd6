// A small typed client for the Rekindle REST API (/api/v1). Same origin, session cookie,
// CSRF header on every state-changing request.
//
// The shapes are the server's own: `components["schemas"]` is generated (`npm run gen:api`) from
// openapi.json, the OpenAPI document the server serves (a Rust test checks the copy is current).
// The names below are the console's names for them.

import type { components } from '../generated/openapi'

type Schemas = components['schemas']

export type Role = Schemas['Role']
export type Permission = Schemas['Permission']
export type WorkspaceAccess = Schemas['MembershipView']
export type Session = Schemas['SessionView']

/** Lifecycle stages of a person, in the order the server lists them. */
export type LifecycleStage = Schemas['Stage']
/** Value tiers of a buyer, highest first. */
export type ValueTier = Schemas['Tier']
/** How likely a person is to be slipping away, lowest first. */
export type ChurnRisk = Schemas['Risk']

export type Dashboard = Schemas['Dashboard']
/** Which node leads the store's once-only work (docs/deploy.md, "Several nodes"). */
export type Leadership = Schemas['LeadershipView']
export type LiveSession = Schemas['SessionSummary']

/** A live session of the schedule (直播场次): title, topics, host and its times. */
export type LiveSessionInfo = Schemas['LiveSessionView']
/** The live room now (docs/live.md): who is in it and what they do, against its own pace and earlier sessions. */
export type LiveMonitor = Schemas['Monitor']
/** One group of the viewers in the room: `dimension` persona, segment, tier, stage, visit, identity or domain. */
export type LiveShare = Schemas['Share']
/** A question not answered yet, with its age and the asker's tier. */
export type LiveWaiting = Schemas['Waiting']
/** A viewer in the room who came to earlier sessions. */
export type LiveLoyal = Schemas['Loyal']
/** Per-minute averages of the room. */
export type LivePace = Schemas['Pace']
/** One minute of a session: in the room, entered, left, comments, likes, orders, GMV, stalls. */
export type LiveCurvePoint = Schemas['CurvePoint']
export type LiveProductLine = Schemas['ProductLine']
/** The post-stream review (复盘) of a session. */
export type LiveReview = Schemas['Review']
/** One review figure against the store's earlier sessions. */
export type LiveCompared = Schemas['Compared']
export type LiveWatchBucket = Schemas['WatchBucket']
/** The parts of the review's CSV export. */
export const REVIEW_CSV_PARTS = ['figures', 'curve', 'products'] as const
export type ReviewCsvPart = (typeof REVIEW_CSV_PARTS)[number]
export const SERVICE_CSV_PARTS = ['tickets', 'churn', 'staff'] as const
export type ServiceCsvPart = (typeof SERVICE_CSV_PARTS)[number]

export type Identity = Schemas['IdentityView']
export type PersonSummary = Schemas['PersonSummary']
export type ListedPerson = Schemas['ListedPerson']
export type ChannelsView = Schemas['ChannelsView']
export type ProviderView = Schemas['ProviderView']
export type PeoplePage = Schemas['PeoplePage']
export type Person = Schemas['PersonView']
export type PersonEvent = Schemas['EventView']
export type EventPage = Schemas['EventPage']
export type OrderItem = Schemas['OrderItem']
export type Order = Schemas['OrderView']
export type LiveParticipation = Schemas['LiveParticipation']
export type CategoryAffinity = Schemas['CategoryView']
/** A person's computed profile (lifecycle stage, value tier, spend and engagement) as of `as_of`. */
export type PersonProfile = Schemas['ProfileView']
/** The person's tags: set by hand (`manual`) or matched by a tag's rule (`rule`). */
export type PersonTag = Schemas['PersonTag']
/** RFM scores, 1–5 each; 0 when the person has never bought. */
export type RfmScores = Schemas['RfmView']
/** When a person is expected to run out of a category they buy, with an 80% interval. */
export type RunOut = Schemas['RunOut']
/** A person's predictions (BG/NBD, Gamma-Gamma and run-outs). */
export type Scores = Schemas['Scores']
/** The fitted predictive models: parameters, a holdout calibration and how risk is spread. */
export type ModelsView = Schemas['ModelsView']

export type SegmentKind = Schemas['SegmentKind']
/** A saved segment: a rule, its current size and how the size moved lately (`versions` only on one). */
export type SegmentSummary = Schemas['SegmentView']
export type SegmentDetail = Schemas['SegmentView']
export type SegmentVersion = Schemas['SegmentVersion']
export type SegmentMember = Schemas['MemberRow']
export type SegmentMemberPage = Schemas['MemberPage']
export type SegmentChange = Schemas['ChangeView']
/** How many people a rule matches right now, out of everyone, with a few of them. */
export type SegmentPreview = Schemas['Preview']
/** A tag: set on people by hand (no rule) or held by everyone its rule matches. */
export type Tag = Schemas['TagView']

export type User = Schemas['MemberView']
/** A pending invitation of the workspace (owners). */
export type Invitation = Schemas['InvitationView']
/** The answer to an invitation: the same whether or not the email has an account. */
export type Invited = Schemas['Invited']
/** An invitation waiting for the signed-in operator. */
export type MyInvitation = Schemas['MyInvitationView']
export type WriteKey = Schemas['WriteKeyView']
export type Workspace = Schemas['WorkspaceView']
export type AuditEntry = Schemas['AuditView']

/** A problem with a journey draft, naming its field (`steps[2].then`, `trigger.event`). */
export type Problem = Schemas['Problem']
export type JourneyStatus = Schemas['JourneyStatus']
export type ChannelKind = Schemas['ChannelKind']
export type Trigger = Schemas['Trigger']
export type TriggerType = Trigger['type']
export type SplitVariant = Schemas['SplitVariant']
/** One step of a journey; `next` says where to go after it (none: the journey ends there). */
export type Step = Schemas['Step']
export type StepType = Step['type']
export type ExitRule = Schemas['ExitRule']
export type Reentry = Schemas['Reentry']
/** A journey as stored and edited (docs/journeys.md); people start at `steps[0]`. */
export type Definition = Schemas['Definition']
export type JourneyVersion = Schemas['JourneyVersion']
export type Journey = Schemas['JourneyView']
/** Counts of one outcome at one step (and variant) of a journey. */
export type ReadoutRow = Schemas['CountRow']
export type Lift = Schemas['LiftRow']
export type Readout = Schemas['Readout']
/** People a journey's entry limits turned away who have not entered since, by the limit (因上限未进入). */
export type EntryRefusal = Schemas['EntryRefusalRow']
/** The store's launch settings (docs/journeys.md, "Launch safety"): the seed list and whether publishing needs an owner. */
export type LaunchSettings = Schemas['LaunchSettings']
/** One member of staff on the seed list (测试名单), with their own addresses. */
export type Seed = Schemas['Seed']
/** A request to publish a journey (待审批), as the journey shows it. */
export type JourneyApproval = Schemas['ApprovalView']

/** A report: its window and settings, the typed `answer`, and the same figures as a table. */
export type ReportView = Schemas['ReportView']
export type ReportGrain = Schemas['Grain']

// The shapes of `ReportView.answer` by kind (crates/rekindle-engine/src/measure): the OpenAPI
// document types the answer as an object, so the console spells them out.

export const REPORT_KINDS = [
  'cohorts',
  'repurchase',
  'churn',
  'wakeup',
  'ltv',
  'referral',
  'tickets',
  'funnel',
  'journeys',
  'experiments',
] as const
export type ReportKind = (typeof REPORT_KINDS)[number]
export const REPORT_GRAINS: ReportGrain[] = ['day', 'week', 'month']
export const COHORT_BYS = ['first_order', 'source', 'first_live', 'first_category'] as const
export type CohortBy = (typeof COHORT_BYS)[number]
export const FUNNEL_STAGES = ['attracted', 'screened', 'nurtured', 'converted', 'spread'] as const
export type FunnelStage = (typeof FUNNEL_STAGES)[number]

/** Period `k` after a cohort's first (period 0 holds the first orders). */
export interface CohortCell {
  period: number
  /** Buyers for whom this period has begun. */
  eligible: number
  /** Buyers who ordered in this period. */
  ordered: number
  /** Buyers with any event in this period. */
  active: number
  revenue_fen: number
}
export interface Cohort {
  /** The first period's first day (by first order), or the source, session or category. */
  key: string
  buyers: number
  /** Periods that have begun by today: cells beyond are unknown, not zero. */
  cells: CohortCell[]
}
export interface RepurchaseFigures {
  new_buyers: number
  matured_7d: number
  repurchased_7d: number
  matured_30d: number
  repurchased_30d: number
}
export interface ChurnFigures {
  base: number
  churned: number
}
export interface ReferralFigures {
  new_buyers: number
  referred: number
}
export interface TicketFigures {
  opened: number
  known: number
  resolved_48h: number
  still_open: number
}
export type Period<T> = T & { period: string }
export interface WakeGroup {
  silent: number
  woke: number
}
export interface ReportLift {
  treated_rate: number
  holdout_rate: number
  difference: number
  ci_low: number
  ci_high: number
  relative: number | null
  p_value: number
}
export interface FunnelStep {
  stage: FunnelStage
  people: number
  /** Of the stage before; null for the first. */
  conversion: number | null
}
/** One arm of a journey: a variant, the holdout, or everyone when it does not split. */
export interface JourneyArm {
  variant: string | null
  entered: number
  /** Entries whose conversion window has closed; the figures below are theirs. */
  measured: number
  buyers: number
  orders: number
  revenue_fen: number
  coupons_issued: number
  coupons_redeemed: number
  coupon_cost_fen: number
}
export interface JourneyAttribution {
  journey: number
  name: string
  arms: JourneyArm[]
  /** Revenue above the holdout's, with its 95% interval; null without a holdout. */
  incremental: { revenue_fen: number; low_fen: number | null; high_fen: number | null; p_value: number | null } | null
  coupon_cost_fen: number
  /** Incremental revenue per yuan of coupons. */
  roi: number | null
  last_touch_orders: number
  last_touch_revenue_fen: number
}
export interface ExperimentEffect {
  estimate: number
  ci: { low: number; high: number } | null
}
export interface ExperimentComparison {
  control_mean: number
  treatment_mean: number
  absolute: ExperimentEffect
  relative: ExperimentEffect | null
  p_value: number | null
  significant: boolean
  enough_data: boolean
  too_small: { reason: 'few_units' | 'few_conversions'; fewest: number; needed: number } | { reason: 'no_variance' } | null
}
export type ExperimentVerdict = 'better' | 'worse' | 'inconclusive' | 'too_small' | 'not_computable'
export interface ExperimentMetric {
  name: 'order_rate' | 'revenue_per_person' | 'opt_out_rate' | 'removed_rate'
  goal: 'increase' | 'decrease'
  guardrail: boolean
  comparison: ExperimentComparison | null
  /** CUPED metrics: the comparison without the adjustment. */
  unadjusted: ExperimentComparison | null
  variance_reduction: number | null
  adjusted_p_value: number | null
  verdict: ExperimentVerdict
  guardrail_worsened: boolean
}
export interface ExperimentArmReadout {
  variant: string
  control: string
  units: [number, number]
  readout: {
    sample_ratio: { observed: number[]; expected: number[]; p_value: number; mismatch: boolean } | null
    sample_ratio_mismatch: boolean
    metrics: ExperimentMetric[]
    guardrail_worsened: boolean
  }
}
export interface Experiment {
  journey: number
  name: string
  comparisons: ExperimentArmReadout[]
}
/** The store's global control group (全局对照组): the share held out of marketing journeys. */
export type ControlGroup = Schemas['ControlGroup']
/** One side of the programme readout over a period. */
export interface ProgrammeSide {
  people: number
  ordered: number
  orders: number
  revenue_fen: number
  buyers_before: number
  retained: number
}
export type ProgrammeMetric = Omit<ExperimentMetric, 'name'> & {
  name: 'order_rate' | 'orders_per_person' | 'revenue_per_person' | 'retention'
}
/** The programme readout (docs/reports.md, "Programme"): the treated against the control group. */
export interface Programme {
  control_group: ControlGroup
  period: { number: number; from: string; to: string | null }
  from: string
  to: string
  control: ProgrammeSide
  treated: ProgrammeSide
  readout: Omit<ExperimentArmReadout['readout'], 'metrics'> & { metrics: ProgrammeMetric[] }
}
export type ProgrammeView = Omit<Schemas['ProgrammeView'], 'programme'> & {
  status: 'read' | 'off' | 'not_begun'
  programme: Programme | null
}
export type ReportAnswer =
  | { kind: 'cohorts'; grain: ReportGrain; by: CohortBy; cohorts: Cohort[] }
  | { kind: 'repurchase'; rows: Period<RepurchaseFigures>[]; total: RepurchaseFigures }
  | { kind: 'churn'; days: number; rows: Period<ChurnFigures>[] }
  | { kind: 'wakeup'; days: number; touched: WakeGroup; untouched: WakeGroup; lift: ReportLift | null }
  | { kind: 'referral'; rows: Period<ReferralFigures>[] }
  | { kind: 'tickets'; rows: Period<TicketFigures>[] }
  | { kind: 'funnel'; steps: FunnelStep[] }
  | { kind: 'journeys'; days: number; journeys: JourneyAttribution[] }
  | { kind: 'experiments'; days: number; experiments: Experiment[] }

/** What a report is asked for (the page keeps it in the URL). */
export interface ReportQuery {
  from?: string
  to?: string
  grain?: ReportGrain
  by?: CohortBy
  days?: number
}

export type TeamTarget = Schemas['TeamTarget']
export type TargetsView = Schemas['TargetsView']
export type TargetProgress = Schemas['TargetProgress']
export const TEAMS: Schemas['Team'][] = ['live', 'community', 'service']
export const KPIS: Schemas['Kpi'][] = ['repurchase_7d', 'repurchase_30d', 'wakeup_14d', 'referral_share', 'tickets_48h']

export type MessageTemplate = Schemas['MessageTemplate']
export type RenderedMessage = Schemas['Rendered']
export type CouponValue = Schemas['CouponValue']
export type Coupon = Schemas['CouponDefinition']
/** A journey Rekindle ships, with the templates and coupons it needs. */
export type ShippedJourney = Schemas['ShippedJourney']

export type MessageState = Schemas['OutboxState']
export type PersonMessage = Schemas['MessageView']
export type PersonEnrollment = Schemas['EnrollmentView']
export type PersonCoupon = Schemas['CouponView']
/** What journeys did to a person: messages, journeys entered, coupons, opt-outs. */
export type PersonMessages = Schemas['PersonMessages']
export type PointsView = Schemas['PointsView']
export type PointsEntry = Schemas['PointsEntry']
/** The store's loyalty program (docs/loyalty.md): earning, what points are worth, expiry, levels. */
export type LoyaltyProgram = Schemas['LoyaltyProgram']
/** The program's figures per month: issued, redeemed, expired, redemption rate, members per level. */
export type LoyaltyFigures = Schemas['LoyaltyFigures']
export type LoyaltyLevel = Schemas['LevelRule']
export type LoyaltyBenefits = Schemas['Benefits']
export type LoyaltyExpiry = Schemas['Expiry']
export type LoyaltyDowngrade = Schemas['Downgrade']
/** An after-sales ticket (售后工单) with the person behind it, its age against the promise and its notes. */
export type Ticket = Schemas['TicketRow']
export type TicketNote = Schemas['TicketNote']
export type TicketList = Schemas['TicketList']
export type TicketInput = Schemas['TicketInput']
export type TicketUpdate = Schemas['TicketUpdate']
/** The service against its promises: tickets resolved in time, churn by speed, first replies. */
export type ServiceFigures = Schemas['ServiceFigures']
export type StaffReplies = Schemas['StaffReplies']
export type SpeedChurn = Schemas['SpeedChurn']
/** A conversation waiting for a first reply, against both promises, with the knowledge base's suggestion. */
export type WaitingRow = Schemas['WaitingRow']
export type WaitingList = Schemas['WaitingList']
export type Thread = Schemas['Thread']
export type ThreadLine = Schemas['LineRow']
export type ServiceMessage = Schemas['MessageInput']
/** The store's service settings: promises, working hours (spans of "HH:MM"), the FAQ threshold. */
export type ServiceSettings = Schemas['ServiceSettings']
export type WorkingSpan = Schemas['Span']
/** A knowledge-base entry: id, category, question, other phrasings, answer. */
export type FaqEntry = Schemas['FaqEntry']
export type FaqSuggestion = Schemas['FaqSuggestion']
export type FaqAnswer = Schemas['AskAnswer']
export type FaqHandoff = Schemas['Handoff']
export type FaqHandoffs = Schemas['HandoffList']
export type FaqImported = Schemas['Imported']
/** The referral programme (老带新) at a glance: invitees, inviters, the 30-day share, the leaderboard. */
export type ReferralOverview = Schemas['ReferralOverview']
/** One inviter of the leaderboard: friends invited, those who ordered, what they spent, the latest. */
export type ReferralInviter = Schemas['InviterRow']
/** A person's code and share link, who invited them and the friends they invited. */
export type PersonReferral = Schemas['PersonReferral']
export type ReferralFriend = Schemas['Friend']
/** The store's customer groups (社群, docs/groups.md), largest first, with how many are silent and the posting rules. */
export type GroupsOverview = Schemas['GroupsView']
/** A group: members, joined and left in 7 days, messages in 7 days, silent, promotional posts today against the ceiling. */
export type GroupRow = Schemas['GroupView']
/**
 * One group with its members (at most 200) and its latest posts. The server flattens the group's
 * row into it, whose `members` count the member list of the same name replaces in the JSON.
 */
export type GroupDetail = Schemas['GroupDetail']
export type GroupMember = Schemas['Member']
/** A post to a group: queued for WeCom, sent (msgid) or failed (error). */
export type GroupPost = Schemas['GroupPost']
export type GroupPostState = Schemas['GroupPostState']
/** What goes with a group post: a link card, a picture or video by https address, a mini-program card. */
export type GroupAttachment =
  | { type: 'link'; title: string; url: string; desc?: string }
  | { type: 'image' | 'video'; url: string }
  | { type: 'miniprogram'; title: string; appid: string; page: string; pic_url: string }
export type GroupPostInput = Omit<Schemas['GroupPostInput'], 'attachments'> & { attachments: GroupAttachment[] }
/** What became of a post to one group: `queued`, `again` (this key posted before) or `capped` (today's promotional posts are used up). */
export type GroupPostOutcome = Omit<Schemas['PostOutcome'], 'outcome'> & { outcome: 'queued' | 'again' | 'capped' }
/** What an erasure removed (docs/privacy.md). */
export type ErasureReport = Schemas['ErasureView']
/** A review of shared content (晒单): who decided what, when and why. */
export type UgcReview = Schemas['UgcReview']
/** A piece of content a customer shared (晒单, `UGC Submitted`) with its review and status. */
export type UgcRow = Schemas['UgcRow']
export type UgcStatus = Schemas['UgcStatus']
export type UgcList = Schemas['UgcList']
/** The review queue's views. */
export const UGC_VIEWS = ['pending', 'approved', 'rejected', 'all'] as const
export type UgcView = (typeof UGC_VIEWS)[number]
export const UGC_KINDS = ['recipe', 'photo', 'video', 'review'] as const

/** A subscription (定期购, docs/subscriptions.md) with its status, terms and next shipment. */
export type SubscriptionRow = Schemas['SubscriptionRow']
export type SubscriptionList = Schemas['SubscriptionList']
export type SubscriptionStatus = Schemas['SubscriptionStatus']
/** One subscription's timeline: its status changes and every shipment to 90 days ahead. */
export type SubscriptionDetail = Schemas['SubscriptionDetail']
export type SubscriptionShipment = Schemas['ShipmentView']
export type ShipmentStatus = Schemas['ShipmentStatus']
/** The shipments of a window for the order system, with whether each goes out. */
export type ShipmentSchedule = Schemas['ShipmentSchedule']
export type ScheduleRow = Schemas['ScheduleRow']
/** Subscribers now, per month starts/cancellations/churn, how shipments were answered, survival by start month. */
export type SubscriptionFigures = Schemas['FiguresView']
export type SubscriptionMonth = Schemas['SubscriptionMonth']
export type SubscriptionCohort = Schemas['SubscriptionCohort']
/** When a confirmation is asked, the cut-off, and what a shipment nobody answered does. */
export type SubscriptionSettings = Schemas['SubscriptionSettings']
/** People whose own repurchase cycle of a product is regular, with the cadence to suggest. */
export type SubscriptionOffers = Schemas['OfferList']
export type SubscriptionOffer = Schemas['OfferRow']
/** An action on a subscription: confirm, skip or move a shipment; pause, resume or cancel. */
export type SubscriptionAction = Schemas['SubscriptionAction']
export type SubscriptionActionResult = Schemas['ActionResult']
export const SUBSCRIPTION_STATUSES: SubscriptionStatus[] = ['active', 'paused', 'cancelled']
export const SHIPMENT_STATUSES: ShipmentStatus[] = ['scheduled', 'awaiting_answer', 'confirmed', 'skipped', 'no_answer']

/** WeCom relationships (企微关系): reach per staff member and value per source, as of the last refresh. */
export type ContactFigures = Schemas['ContactFigures']
/** One staff member's reach: friends now, who only they reach, added and lost in 30 days. */
export type StaffReach = Schemas['StaffReach']
/** Customers of one source (live, parcel, store, ads, …), still reachable, buyers, spend and LTV in fen. */
export type SourceValue = Schemas['SourceValue']
/** The store's customer transfers (客户转接), counts per status and the latest 500. */
export type TransferList = Schemas['TransferList']
/** One customer's transfer between staff members, with who they are (masked without pii.read). */
export type TransferRow = Schemas['TransferRow']
export type TransferKind = Schemas['TransferKind']
export type TransferStatus = Schemas['TransferStatus']
export type TransferRequest = Schemas['TransferRequest']
export type TransferRequested = Schemas['TransferRequested']
/** What a reconcile with WeCom found. */
export type Reconciled = Schemas['Reconciled']
/** Add-contact task batches (加好友任务), newest first, with progress per staff member. */
export type ReachBatches = Schemas['ReachBatches']
export type ReachBatch = Schemas['BatchProgress']
export type ReachStaffProgress = Schemas['StaffProgress']
/** One batch's tasks: who each staff member is to add by phone (masked without pii.read). */
export type ReachTaskList = Schemas['ReachTaskList']
export type ReachTaskRow = Schemas['ReachTaskRow']
/** An assignment: staff userids (1–50), how many customers (1–2000, default 200), an optional segment. */
export type ReachInput = Schemas['ReachInput']
export type ReachAssigned = Schemas['ReachAssigned']
/** The channel codes (渠道活码) and whether WeCom is configured (codes have QR codes only then). */
export type ChannelCodeList = Schemas['CodeList']
/** A code with who came through it: people, still reachable, buyers, spend and LTV in fen. */
export type ChannelCodeRow = Schemas['CodeRow']
export type ChannelCode = Schemas['ChannelCode']
/** A code as the operator writes it; a refusal names its field (`staff[1]`, `groups`, `tags[0]`). */
export type ChannelCodeInput = Schemas['CodeInput']
export type ChannelCodeKind = Schemas['CodeKind']
export type ChannelCodePick = Schemas['Pick']
/** One staff member's friendship with a customer: since when, through which code, who ended it. */
export type Friendship = Schemas['Friendship']
/** A customer's WeCom friendships, their default sender (owner) and the staff member added last. */
export type PersonContacts = Schemas['PersonContacts']
/** One customer for the WeCom chat sidebar: profile, predictions, open tickets, scripts. */
export type SidebarView = Schemas['SidebarView']
export type SidebarTicket = Schemas['SidebarTicket']
/** A script to start a chat from (`key`: service, run_out, level, win_back, next_category, greeting). */
export type SidebarScript = Schemas['Script']
/** What `wx.agentConfig` of WeCom's JS-SDK takes for a page address (the sidebar's), signed by the server. */
export type WecomJsapiConfig = Schemas['WecomAgentConfig']
export const TRANSFER_KINDS: TransferKind[] = ['on_job', 'resigned']
export const TRANSFER_STATUSES: TransferStatus[] = ['requested', 'waiting', 'done', 'refused', 'takeover_full', 'failed']
export const CODE_KINDS: ChannelCodeKind[] = ['contact', 'group']
export const CODE_PICKS: ChannelCodePick[] = ['turn', 'random']
/** The sources a code offers by name (any other lowercase word may be typed). */
export const CODE_SOURCES = ['live', 'parcel', 'store', 'ads'] as const
/** Groups on one group code (WeCom's limit, rekindle-core's MAX_GROUPS). */
export const CODE_MAX_GROUPS = 5

// Not in the API: the orders the console lists choices in, and constants the server keeps in Rust
// (rekindle-core) that the console needs to check or explain a form before sending it.

/** The after-sales queue's views, and the reasons a ticket opened in the console may give. */
export const TICKET_STATUSES = ['open', 'overdue', 'resolved', 'all'] as const
export type TicketStatus = (typeof TICKET_STATUSES)[number]
export const TICKET_REASONS = ['late', 'spoiled', 'short_weight', 'other'] as const
/** How fast incidents were resolved, in the order the figures list them. */
export const RESOLVE_SPEEDS = ['within_24h', 'within_48h', 'over_48h', 'unresolved'] as const

export const ROLES: Role[] = ['owner', 'operator', 'host', 'service', 'analyst']
export const STAGES: LifecycleStage[] = ['prospect', 'new', 'active', 'silent', 'churned', 'reactivated']
export const TIERS: ValueTier[] = ['high', 'potential', 'edge']
export const RISKS: ChurnRisk[] = ['low', 'medium', 'high']
export const JOURNEY_STATUSES: JourneyStatus[] = ['draft', 'live', 'paused', 'archived']
export const CHANNELS: ChannelKind[] = ['wecom', 'sms', 'miniprogram', 'webhook']
export const STEP_TYPES: StepType[] = ['wait', 'wait_for', 'branch', 'split', 'send', 'coupon', 'award_points', 'tag', 'webhook', 'exit']

/** The variables a message template may mention as `{{name}}` or `{{name|fallback}}`. */
export const TEMPLATE_VARIABLES = [
  'nickname',
  'last_product',
  'coupon',
  'coupon_expires',
  'session_title',
  'session_time',
  'link',
  'days_left',
  'level',
  'points',
  'next_level',
  'points_to_next',
  'yuan_to_next',
  'points_expiring',
] as const

/** Profile figures a template may name too (rekindle-core's PROFILE_VARIABLES). */
export const PROFILE_TEMPLATE_VARIABLES = [
  'orders',
  'spend',
  'aov',
  'days_since_order',
  'days_since_seen',
  'comments',
  'shares',
  'categories',
  'rfm_r',
  'rfm_f',
  'rfm_m',
  'p_alive',
  'clv',
  'invited',
  'stage',
  'tier',
  'next_category',
  'staff',
] as const

/** Longest text of a group post (rekindle-core's MAX_POST_CHARS), and most attachments and groups per post. */
export const GROUP_POST_MAX_CHARS = 1300
export const GROUP_POST_MAX_ATTACHMENTS = 9
export const GROUP_POST_MAX_GROUPS = 200

/** Marketing SMS in China must tell people how to refuse them. */
export const SMS_OPT_OUT = '拒收请回复R'

/**
 * An error answered by the server (`{code, message, field, position}`), or a network failure
 * (status 0). `position` is set for segment and tag rule errors: a Unicode code point offset into
 * the rule.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly position?: number,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

let csrfToken = ''
let onUnauthorized: () => void = () => {}

export function setCsrfToken(token: string): void {
  csrfToken = token
}

/** Called on a 401 from any call but login and me (the session expired or was revoked). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler
}

type Query = Record<string, string | number | null | undefined>

interface RequestOptions {
  query?: Query
  body?: unknown
  /** Do not call the unauthorized handler on 401 (login and the session probe). */
  quiet401?: boolean
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  const qs = params.toString()
  // The server words its errors (a rule's, for one) in the language the console is read in.
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': document.documentElement.lang || 'zh-CN' }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let res: Response
  try {
    res = await fetch(qs ? `${path}?${qs}` : path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e))
  }

  if (!res.ok) {
    let code = `http_${res.status}`
    let message = res.statusText
    let field: string | undefined
    let position: number | undefined
    try {
      const body = await res.json()
      if (body && typeof body === 'object') {
        code = body.code ?? code
        message = body.message ?? message
        field = body.field ?? undefined
        if (typeof body.position === 'number') position = body.position
      }
    } catch {
      // Not JSON: keep the status line.
    }
    if (res.status === 401 && !opts.quiet401) onUnauthorized()
    throw new ApiError(res.status, code, message, field, position)
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

const ws = (workspace: string, extra: Query = {}): Query => ({ workspace, ...extra })
const enc = encodeURIComponent

export const api = {
  login: (email: string, password: string) =>
    request<Session>('POST', '/api/v1/auth/login', { body: { email, password }, quiet401: true }),
  me: () => request<Session>('GET', '/api/v1/auth/me', { quiet401: true }),
  logout: () => request<void>('POST', '/api/v1/auth/logout', { quiet401: true }),

  dashboard: (w: string, days: number) =>
    request<Dashboard>('GET', '/api/v1/dashboard', { query: ws(w, { days }) }),

  channels: (w: string) => request<ChannelsView>('GET', '/api/v1/channels', { query: ws(w) }),
  setProvider: (w: string, provider: string, settings: Record<string, string>) =>
    request<ChannelsView>('PUT', `/api/v1/channels/${encodeURIComponent(provider)}`, { query: ws(w), body: settings }),
  removeProvider: (w: string, provider: string) =>
    request<ChannelsView>('DELETE', `/api/v1/channels/${encodeURIComponent(provider)}`, { query: ws(w) }),
  listPeople: (
    w: string,
    q: { sort?: string; order?: string; stage?: string; tier?: string; page?: number; per_page?: number },
  ) => request<PeoplePage>('GET', '/api/v1/people/list', { query: ws(w, q) }),
  searchPeople: (w: string, q: string, limit = 50) =>
    request<PersonSummary[]>('GET', '/api/v1/people', { query: ws(w, { q, limit }) }),
  person: (w: string, id: string) => request<Person>('GET', `/api/v1/people/${enc(id)}`, { query: ws(w) }),
  personEvents: (w: string, id: string, before?: string | null, limit = 50) =>
    request<EventPage>('GET', `/api/v1/people/${enc(id)}/events`, { query: ws(w, { limit, before }) }),
  personOrders: (w: string, id: string) =>
    request<Order[]>('GET', `/api/v1/people/${enc(id)}/orders`, { query: ws(w) }),
  personLive: (w: string, id: string) =>
    request<LiveParticipation[]>('GET', `/api/v1/people/${enc(id)}/live`, { query: ws(w) }),
  personProfile: (w: string, id: string) =>
    request<PersonProfile>('GET', `/api/v1/people/${enc(id)}/profile`, { query: ws(w) }),

  /** The fitted models; 404 `not_found` while none is fitted. */
  models: (w: string) => request<ModelsView>('GET', '/api/v1/models', { query: ws(w) }),

  /** A report over a window of local days; `columns` headers come in the console's language. */
  report: (w: string, kind: ReportKind, q: ReportQuery) =>
    request<ReportView>('GET', `/api/v1/reports/${enc(kind)}`, { query: ws(w, { ...q }) }),
  /** The report as a CSV download: a plain link, the session cookie authenticates the GET. */
  reportCsvUrl: (w: string, kind: ReportKind, q: ReportQuery, lang: string) => {
    const params = new URLSearchParams({ workspace: w })
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
    params.set('lang', lang)
    return `/api/v1/reports/${enc(kind)}/export.csv?${params}`
  },

  /** The live-session schedule. */
  liveSessions: (w: string) => request<LiveSessionInfo[]>('GET', '/api/v1/live-sessions', { query: ws(w) }),
  /** One snapshot of a live room; the console follows `liveMonitorStreamUrl` after it. */
  liveMonitor: (w: string, id: string) =>
    request<LiveMonitor>('GET', `/api/v1/live/sessions/${enc(id)}/monitor`, { query: ws(w) }),
  /** Server-Sent Events (`monitor`, the same body as `liveMonitor`), for an EventSource with the session cookie. */
  liveMonitorStreamUrl: (w: string, id: string) =>
    `/api/v1/live/sessions/${enc(id)}/monitor/stream?${new URLSearchParams({ workspace: w })}`,
  liveReview: (w: string, id: string) =>
    request<LiveReview>('GET', `/api/v1/live/sessions/${enc(id)}/review`, { query: ws(w) }),
  /** A part of the review as a CSV download: a plain link, the session cookie authenticates the GET. */
  /** The service's figures as CSV: the window's tickets, churn by resolution speed, replies per staff member. */
  serviceCsvUrl: (w: string, part: ServiceCsvPart, days: number, lang: string) =>
    `/api/v1/service/export.csv?${new URLSearchParams({ workspace: w, part, days: String(days), lang })}`,
  liveReviewCsvUrl: (w: string, id: string, part: ReviewCsvPart, lang: string) =>
    `/api/v1/live/sessions/${enc(id)}/review/export.csv?${new URLSearchParams({ workspace: w, part, lang })}`,

  /** Team targets and where the store stands on each. */
  targets: (w: string) => request<TargetsView>('GET', '/api/v1/targets', { query: ws(w) }),
  putTargets: (w: string, targets: TeamTarget[]) =>
    request<TargetsView>('PUT', '/api/v1/targets', { query: ws(w), body: { targets } }),

  users: (w: string) => request<User[]>('GET', '/api/v1/users', { query: ws(w) }),
  /** Adding an operator is an invitation; they accept it themselves. */
  inviteUser: (w: string, invite: { email: string; role: Role }) =>
    request<Invited>('POST', '/api/v1/users', { query: ws(w), body: invite }),
  invitations: (w: string) => request<Invitation[]>('GET', '/api/v1/users/invitations', { query: ws(w) }),
  revokeInvitation: (w: string, id: number) =>
    request<void>('DELETE', `/api/v1/users/invitations/${enc(String(id))}`, { query: ws(w) }),
  myInvitations: () => request<MyInvitation[]>('GET', '/api/v1/auth/invitations'),
  acceptInvitation: (id: number) => request<unknown>('POST', `/api/v1/auth/invitations/${enc(String(id))}/accept`),
  declineInvitation: (id: number) => request<void>('POST', `/api/v1/auth/invitations/${enc(String(id))}/decline`),
  /** A new email's account from an invitation token (no sign-in). */
  redeemInvitation: (redeem: { token: string; name: string; password: string }) =>
    request<{ status: 'redeemed' }>('POST', '/api/v1/auth/invitations/redeem', { body: redeem, quiet401: true }),
  setUserRole: (w: string, id: string | number, role: Role) =>
    request<User>('PUT', `/api/v1/users/${enc(String(id))}/role`, { query: ws(w), body: { role } }),
  deleteUser: (w: string, id: string | number) =>
    request<void>('DELETE', `/api/v1/users/${enc(String(id))}`, { query: ws(w) }),

  writeKeys: (w: string) => request<WriteKey[]>('GET', '/api/v1/write-keys', { query: ws(w) }),
  createWriteKey: (w: string, name: string) =>
    request<{ key: string; info: WriteKey }>('POST', '/api/v1/write-keys', { query: ws(w), body: { name } }),
  revokeWriteKey: (w: string, id: number | string) =>
    request<void>('DELETE', `/api/v1/write-keys/${enc(String(id))}`, { query: ws(w) }),

  updateWorkspace: (slug: string, changes: { name: string; time_zone: string }) =>
    request<Workspace>('PUT', `/api/v1/workspaces/${enc(slug)}`, { body: changes }),

  leadership: (w: string) => request<Leadership>('GET', '/api/v1/leadership', { query: ws(w) }),

  audit: (w: string, limit = 100) => request<AuditEntry[]>('GET', '/api/v1/audit', { query: ws(w, { limit }) }),

  segments: (w: string) =>
    request<{ segments: SegmentSummary[] }>('GET', '/api/v1/segments', { query: ws(w) }).then((r) => r.segments),
  segment: (w: string, id: string) =>
    request<SegmentDetail>('GET', `/api/v1/segments/${enc(id)}`, { query: ws(w) }),
  createSegment: (w: string, segment: { name: string; description?: string; rule: string }) =>
    request<SegmentDetail>('POST', '/api/v1/segments', { query: ws(w), body: segment }),
  updateSegment: (w: string, id: string | number, changes: { name?: string; description?: string; rule?: string }) =>
    request<SegmentDetail>('PUT', `/api/v1/segments/${enc(String(id))}`, { query: ws(w), body: changes }),
  deleteSegment: (w: string, id: string | number) =>
    request<void>('DELETE', `/api/v1/segments/${enc(String(id))}`, { query: ws(w) }),
  previewSegment: (w: string, rule: string) =>
    request<SegmentPreview>('POST', '/api/v1/segments/preview', { query: ws(w), body: { rule } }),
  segmentMembers: (w: string, id: string, after?: string | null, limit = 50) =>
    request<SegmentMemberPage>('GET', `/api/v1/segments/${enc(id)}/members`, { query: ws(w, { limit, after }) }),
  segmentChanges: (w: string, id: string, limit = 50) =>
    request<{ changes: SegmentChange[] }>('GET', `/api/v1/segments/${enc(id)}/changes`, {
      query: ws(w, { limit }),
    }).then((r) => r.changes),
  /** The members as a CSV download: a plain link, the session cookie authenticates the GET. */
  segmentMembersCsvUrl: (w: string, id: string, lang: string) =>
    `/api/v1/segments/${enc(id)}/members.csv?${new URLSearchParams({ workspace: w, lang })}`,

  tags: (w: string) => request<{ tags: Tag[] }>('GET', '/api/v1/tags', { query: ws(w) }).then((r) => r.tags),
  createTag: (w: string, tag: { name: string; rule?: string | null; description?: string }) =>
    request<Tag>('POST', '/api/v1/tags', { query: ws(w), body: tag }),
  updateTag: (w: string, name: string, changes: { rule?: string | null; description?: string }) =>
    request<Tag>('PUT', `/api/v1/tags/${enc(name)}`, { query: ws(w), body: changes }),
  deleteTag: (w: string, name: string) => request<void>('DELETE', `/api/v1/tags/${enc(name)}`, { query: ws(w) }),
  addPersonTag: (w: string, person: string, tag: string) =>
    request<void>('POST', `/api/v1/people/${enc(person)}/tags`, { query: ws(w), body: { tag } }),
  removePersonTag: (w: string, person: string, tag: string) =>
    request<void>('DELETE', `/api/v1/people/${enc(person)}/tags/${enc(tag)}`, { query: ws(w) }),

  journeys: (w: string) =>
    request<{ journeys: Journey[] }>('GET', '/api/v1/journeys', { query: ws(w) }).then((r) => r.journeys),
  journey: (w: string, id: string | number) =>
    request<Journey>('GET', `/api/v1/journeys/${enc(String(id))}`, { query: ws(w) }),
  createJourney: (w: string, body: { name: string; definition: Definition } | { name?: string; shipped: string }) =>
    request<Journey>('POST', '/api/v1/journeys', { query: ws(w), body }),
  updateJourney: (w: string, id: string | number, changes: { name?: string; definition?: Definition }) =>
    request<Journey>('PUT', `/api/v1/journeys/${enc(String(id))}`, { query: ws(w), body: changes }),
  /** Publishes the saved draft as a new version; 400 naming the first problem's field when it has any. */
  publishJourney: (w: string, id: string | number, enterCurrent = false) =>
    request<{ version: number | null; entered_now: number }>('POST', `/api/v1/journeys/${enc(String(id))}/publish`, {
      query: ws(w, enterCurrent ? { enter_current: 'true' } : {}),
    }),
  /** Send a send step of the draft to the store's seed list, marked 【测试】 (docs/journeys.md, "Launch safety"). */
  testSendStep: (w: string, id: string | number, step: string, channel?: string) =>
    request<{ channel: string; sent: number; results: { seed: string; to: string; error: string | null }[] }>(
      'POST',
      `/api/v1/journeys/${enc(String(id))}/test-send`,
      { query: ws(w), body: channel ? { step, channel } : { step } },
    ),
  launchSettings: (w: string) => request<LaunchSettings>('GET', '/api/v1/launch-settings', { query: ws(w) }),
  /** Owners only; a refusal names its field (`seeds[1].phone`). */
  putLaunchSettings: (w: string, settings: LaunchSettings) =>
    request<LaunchSettings>('PUT', '/api/v1/launch-settings', { query: ws(w), body: settings }),
  /** An owner approves (publishes) or rejects a request to publish. */
  decideJourneyApproval: (w: string, id: string | number, decision: 'approve' | 'reject', reason?: string) =>
    request<{ approval: JourneyApproval; version: number | null }>('POST', `/api/v1/journeys/${enc(String(id))}/approval`, {
      query: ws(w),
      body: reason ? { decision, reason } : { decision },
    }),
  /** How many people are in the draft trigger's segment or stage now (null: not such a trigger). */
  journeyCurrentMembers: (w: string, id: string | number) =>
    request<{ count: number | null }>('GET', `/api/v1/journeys/${enc(String(id))}/current-members`, { query: ws(w) }),
  setJourneyStatus: (w: string, id: string | number, status: 'live' | 'paused' | 'archived') =>
    request<Journey>('POST', `/api/v1/journeys/${enc(String(id))}/status`, { query: ws(w), body: { status } }),
  journeyReadout: (w: string, id: string | number) =>
    request<Readout>('GET', `/api/v1/journeys/${enc(String(id))}/readout`, { query: ws(w) }),
  journeyTemplates: (w: string) =>
    request<{ templates: ShippedJourney[] }>('GET', '/api/v1/journey-templates', { query: ws(w) }).then(
      (r) => r.templates,
    ),

  messageTemplates: (w: string) =>
    request<{ templates: MessageTemplate[] }>('GET', '/api/v1/message-templates', { query: ws(w) }).then(
      (r) => r.templates,
    ),
  putMessageTemplate: (w: string, template: MessageTemplate) =>
    request<MessageTemplate>('PUT', `/api/v1/message-templates/${enc(template.name)}`, {
      query: ws(w),
      body: template,
    }),
  deleteMessageTemplate: (w: string, name: string) =>
    request<void>('DELETE', `/api/v1/message-templates/${enc(name)}`, { query: ws(w) }),
  /** The template as one person (an id or a phone) would read it; 400 naming the field at fault. */
  previewMessage: (w: string, template: MessageTemplate, person: string) =>
    request<RenderedMessage>('POST', '/api/v1/message-templates/preview', {
      query: ws(w),
      body: { template, person },
    }),

  coupons: (w: string) =>
    request<{ coupons: Coupon[] }>('GET', '/api/v1/coupons', { query: ws(w) }).then((r) => r.coupons),
  putCoupon: (w: string, coupon: Coupon) =>
    request<Coupon>('PUT', `/api/v1/coupons/${enc(coupon.name)}`, { query: ws(w), body: coupon }),

  personMessages: (w: string, id: string) =>
    request<PersonMessages>('GET', `/api/v1/people/${enc(id)}/messages`, { query: ws(w) }),

  /** A person's points, level and ledger (docs/loyalty.md). */
  personPoints: (w: string, id: string) =>
    request<PointsView>('GET', `/api/v1/people/${enc(id)}/points`, { query: ws(w) }),
  /** The store's loyalty program; the defaults until one is saved. */
  loyaltyProgram: (w: string) => request<LoyaltyProgram>('GET', '/api/v1/loyalty/program', { query: ws(w) }),
  /** The program's figures over the last `periods` months of the store's calendar. */
  loyaltyFigures: (w: string, periods = 12) =>
    request<LoyaltyFigures>('GET', '/api/v1/loyalty/figures', { query: ws(w, { periods }) }),
  /** Replaces the program whole (workspace.manage); 400 naming the field at fault (`levels[2].min_growth`). */
  putLoyaltyProgram: (w: string, program: LoyaltyProgram) =>
    request<LoyaltyProgram>('PUT', '/api/v1/loyalty/program', { query: ws(w), body: program }),

  /** The referral programme's figures and its leaderboard of `limit` inviters (1–100). */
  referrals: (w: string, limit = 20) =>
    request<ReferralOverview>('GET', '/api/v1/referrals', { query: ws(w, { limit }) }),
  /** A person's referral code (made on the first request), share link, inviter and friends. */
  personReferral: (w: string, id: string) =>
    request<PersonReferral>('GET', `/api/v1/people/${enc(id)}/referral`, { query: ws(w) }),

  /** WeCom relationships: reach per staff member, value per source. */
  contacts: (w: string) => request<ContactFigures>('GET', '/api/v1/contacts', { query: ws(w) }),
  /** A customer's friendships with staff members. */
  personContacts: (w: string, id: string) =>
    request<PersonContacts>('GET', `/api/v1/people/${enc(id)}/contacts`, { query: ws(w) }),
  /** Customer transfers, newest first, with counts per status. */
  transfers: (w: string) => request<TransferList>('GET', '/api/v1/contacts/transfers', { query: ws(w) }),
  /** Hands customers to another staff member (contacts.manage; 202); 400 naming the field (`takeover`, `customers[2]`). */
  requestTransfers: (w: string, body: TransferRequest) =>
    request<TransferRequested>('POST', '/api/v1/contacts/transfers', { query: ws(w), body }),
  /** Reconciles WeCom's friendships now (contacts.manage); 404 when WeCom is not configured. */
  reconcileContacts: (w: string) => request<Reconciled>('POST', '/api/v1/contacts/reconcile', { query: ws(w) }),
  /** Add-contact task batches with their progress per staff member. */
  reachBatches: (w: string) => request<ReachBatches>('GET', '/api/v1/contacts/reach', { query: ws(w) }),
  /** Hands phone-only buyers to staff members in turn (contacts.manage; 201); 400 naming the field (`staff[1]`, `limit`). */
  assignReach: (w: string, body: ReachInput) => request<ReachAssigned>('POST', '/api/v1/contacts/reach', { query: ws(w), body }),
  /** One batch's task list. */
  reachTasks: (w: string, batch: string) =>
    request<ReachTaskList>('GET', `/api/v1/contacts/reach/${enc(batch)}`, { query: ws(w) }),
  reachCsvUrl: (w: string, batch: string, lang: string) =>
    `/api/v1/contacts/reach/${enc(batch)}/csv?${new URLSearchParams({ workspace: w, lang })}`,
  /** The channel codes (渠道活码) with their figures. */
  channelCodes: (w: string) => request<ChannelCodeList>('GET', '/api/v1/contacts/codes', { query: ws(w) }),
  /** Makes a code (contacts.manage; 201), in WeCom too when configured; 400 naming the field (`staff[1]`). */
  createChannelCode: (w: string, input: ChannelCodeInput) =>
    request<ChannelCode>('POST', '/api/v1/contacts/codes', { query: ws(w), body: input }),
  /** Changes a code's name, staff, pick, tags or welcome (its source and kind stay). */
  updateChannelCode: (w: string, id: number, input: ChannelCodeInput) =>
    request<ChannelCode>('PUT', `/api/v1/contacts/codes/${enc(String(id))}`, { query: ws(w), body: input }),
  /** Retires a code (停用): removed from WeCom, kept here with its figures. */
  retireChannelCode: (w: string, id: number) =>
    request<ChannelCode>('DELETE', `/api/v1/contacts/codes/${enc(String(id))}`, { query: ws(w) }),
  /** The customer of the WeCom chat sidebar: an external userid, a person id or any identifier. */
  sidebar: (w: string, customer: string) =>
    request<SidebarView>('GET', '/api/v1/sidebar', { query: ws(w, { customer }) }),
  /** The signature of `wx.agentConfig` for a page address (without its hash). */
  wecomJsapiConfig: (w: string, url: string) =>
    request<WecomJsapiConfig>('GET', '/api/v1/wecom/jsapi-config', { query: ws(w, { url }) }),

  /** The customer groups (社群), silent ones flagged, with today's promotional posts per group. */
  groups: (w: string) => request<GroupsOverview>('GET', '/api/v1/groups', { query: ws(w) }),
  /** One group: its members and latest posts. */
  group: (w: string, id: string) => request<GroupDetail>('GET', `/api/v1/groups/${enc(id)}`, { query: ws(w) }),
  /** Posts to groups, newest first: of one group or all, at most `limit` (1–500). */
  groupPosts: (w: string, group?: string, limit = 100) =>
    request<GroupPost[]>('GET', '/api/v1/groups/posts', { query: ws(w, { group, limit }) }),
  /** Queues a post per group (journeys.manage), once per key and group; 400 naming the field (`attachments[0].url`). */
  postToGroups: (w: string, post: GroupPostInput) =>
    request<GroupPostOutcome[]>('POST', '/api/v1/groups/posts', { query: ws(w), body: post }),

  /** Shared content (晒单) of a status, the review queue oldest first, and how many wait. */
  ugc: (w: string, status: UgcView, limit = 200) =>
    request<UgcList>('GET', '/api/v1/ugc', { query: ws(w, { status, limit }) }),
  /** Approves or rejects a piece of content (journeys.manage); approving starts the 晒单奖励 journey. */
  reviewUgc: (w: string, id: string, decision: 'approved' | 'rejected', reason?: string) =>
    request<UgcRow>('POST', `/api/v1/ugc/${enc(id)}/review`, { query: ws(w), body: { decision, reason: reason || undefined } }),
  /** Approved content about a product, newest first. */
  ugcLibrary: (w: string, sku: string) => request<UgcRow[]>('GET', '/api/v1/ugc/library', { query: ws(w, { sku }) }),

  /** The store's subscriptions (定期购), the latest started first. */
  subscriptions: (w: string, status?: SubscriptionStatus | null, limit = 200) =>
    request<SubscriptionList>('GET', '/api/v1/subscriptions', { query: ws(w, { status, limit }) }),
  subscription: (w: string, id: string) =>
    request<SubscriptionDetail>('GET', `/api/v1/subscriptions/${enc(id)}`, { query: ws(w) }),
  personSubscriptions: (w: string, person: string) =>
    request<SubscriptionList>('GET', `/api/v1/people/${enc(person)}/subscriptions`, { query: ws(w) }),
  subscriptionFigures: (w: string) => request<SubscriptionFigures>('GET', '/api/v1/subscriptions/figures', { query: ws(w) }),
  /** Shipments with a ship date from `from` to `to` (store days; default the next 14 days). */
  subscriptionSchedule: (w: string, from?: string, to?: string) =>
    request<ShipmentSchedule>('GET', '/api/v1/subscriptions/schedule', { query: ws(w, { from, to }) }),
  /** The schedule as a CSV download for Excel: a plain link, the session cookie authenticates the GET. */
  subscriptionScheduleCsvUrl: (w: string, lang: string, from?: string, to?: string) => {
    const q: Record<string, string> = { workspace: w, lang }
    if (from) q.from = from
    if (to) q.to = to
    return `/api/v1/subscriptions/schedule.csv?${new URLSearchParams(q)}`
  },
  controlGroup: (w: string) => request<ControlGroup>('GET', '/api/v1/programme/control', { query: ws(w) }),
  putControlGroup: (w: string, group: ControlGroup) =>
    request<ControlGroup>('PUT', '/api/v1/programme/control', { query: ws(w), body: group }),
  programme: (w: string, period?: number) =>
    request<ProgrammeView>('GET', '/api/v1/programme', { query: ws(w, period === undefined ? {} : { period }) }),
  subscriptionSettings: (w: string) =>
    request<SubscriptionSettings>('GET', '/api/v1/subscriptions/settings', { query: ws(w) }),
  /** Replaces the settings (journeys.manage); 400 naming the field. */
  putSubscriptionSettings: (w: string, settings: SubscriptionSettings) =>
    request<SubscriptionSettings>('PUT', '/api/v1/subscriptions/settings', { query: ws(w), body: settings }),
  subscriptionOffers: (w: string, limit = 50) =>
    request<SubscriptionOffers>('GET', '/api/v1/subscriptions/offers', { query: ws(w, { limit }) }),
  /** An action (service.manage); a refusal names its field and says why in the caller's language (400/409). */
  subscriptionAction: (w: string, id: string, action: SubscriptionAction) =>
    request<SubscriptionActionResult>('POST', `/api/v1/subscriptions/${enc(id)}/actions`, { query: ws(w), body: action }),

  /** The after-sales queue (docs/service.md): open (the longest waiting first), overdue, resolved or all. */
  tickets: (w: string, status: TicketStatus, limit = 200) =>
    request<TicketList>('GET', '/api/v1/service/tickets', { query: ws(w, { status, limit }) }),
  /** Opens a ticket (service.manage); `person` is an id or any identifier, a 404 when nobody has it. */
  openTicket: (w: string, input: TicketInput) =>
    request<Ticket>('POST', '/api/v1/service/tickets', { query: ws(w), body: input }),
  /** Assigns a ticket ("" unassigns) or adds a note to it. */
  updateTicket: (w: string, id: string, update: TicketUpdate) =>
    request<Ticket>('POST', `/api/v1/service/tickets/${enc(id)}/updates`, { query: ws(w), body: update }),
  /** Resolves a ticket; 409 when it already is. */
  resolveTicket: (w: string, id: string, resolution: string) =>
    request<Ticket>('POST', `/api/v1/service/tickets/${enc(id)}/resolution`, { query: ws(w), body: { resolution } }),
  serviceFigures: (w: string, days = 30) =>
    request<ServiceFigures>('GET', '/api/v1/service/figures', { query: ws(w, { days }) }),
  /** Conversations waiting for a first reply, the oldest first. */
  waitingConversations: (w: string, limit = 200) =>
    request<WaitingList>('GET', '/api/v1/service/conversations', { query: ws(w, { limit }) }),
  conversation: (w: string, person: string) =>
    request<Thread>('GET', `/api/v1/service/conversations/${enc(person)}`, { query: ws(w) }),
  /** Records a message of a conversation; the console records the replies typed in it. */
  recordMessage: (w: string, message: ServiceMessage) =>
    request<{ suggestion?: FaqSuggestion | null }>('POST', '/api/v1/service/messages', { query: ws(w), body: message }),
  serviceSettings: (w: string) => request<ServiceSettings>('GET', '/api/v1/service/settings', { query: ws(w) }),
  /** Replaces the settings (service.manage); 400 naming the field (`sla.hours.spans[0].close`). */
  putServiceSettings: (w: string, settings: ServiceSettings) =>
    request<ServiceSettings>('PUT', '/api/v1/service/settings', { query: ws(w), body: settings }),

  /** The knowledge base (知识库), in the order entries were added, and the answering threshold. */
  faqEntries: (w: string) =>
    request<{ entries: FaqEntry[]; threshold: number }>('GET', '/api/v1/faq/entries', { query: ws(w) }),
  /** Adds or replaces the entry with this id; 400 naming the field. */
  putFaqEntry: (w: string, entry: FaqEntry) =>
    request<FaqEntry>('PUT', `/api/v1/faq/entries/${enc(entry.id)}`, { query: ws(w), body: entry }),
  deleteFaqEntry: (w: string, id: string) =>
    request<void>('DELETE', `/api/v1/faq/entries/${enc(id)}`, { query: ws(w) }),
  /** Adds or replaces entries from a CSV, all or none; a refusal names its line (`csv.line[3].id`). */
  importFaq: (w: string, csv: string) =>
    request<FaqImported>('POST', '/api/v1/faq/import', { query: ws(w), body: { csv } }),
  askFaq: (w: string, question: string) =>
    request<FaqAnswer>('POST', '/api/v1/faq/ask', { query: ws(w), body: { question } }),
  /** The questions handed off lately, the most asked first. */
  faqHandoffs: (w: string, limit = 50) =>
    request<FaqHandoffs>('GET', '/api/v1/faq/handoffs', { query: ws(w, { limit }) }),

  /** Everything held about a person, unmasked (pii.read; docs/privacy.md). */
  exportPerson: (w: string, id: string) => request<unknown>('GET', `/api/v1/people/${enc(id)}/export`, { query: ws(w) }),
  /** Erase a person irreversibly (owner); `id` is the person's id, repeated as the confirmation. */
  erasePerson: (w: string, id: string) =>
    request<ErasureReport>('DELETE', `/api/v1/people/${enc(id)}`, { query: ws(w, { confirm: id }) }),
}
