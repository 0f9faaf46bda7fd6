// A small typed client for the Rekindle REST API (/api/v1). Same origin, session cookie,
// CSRF header on every state-changing request.

export type Role = 'owner' | 'operator' | 'host' | 'service' | 'analyst'
export const ROLES: Role[] = ['owner', 'operator', 'host', 'service', 'analyst']

export type Permission =
  | 'people.read'
  | 'pii.read'
  | 'events.read'
  | 'catalogue.write'
  | 'keys.manage'
  | 'users.manage'
  | 'audit.read'
  | 'workspace.manage'
  | 'segments.manage'
  | 'journeys.manage'
  | 'journeys.manage'
  | 'people.erase'

export interface WorkspaceAccess {
  slug: string
  name: string
  time_zone: string
  role: Role
  permissions: Permission[]
}

export interface Session {
  user: { id: string; email: string; name: string }
  csrf_token: string
  workspaces: WorkspaceAccess[]
}

/** Lifecycle stages of a person, in the order the server lists them. */
export type LifecycleStage = 'prospect' | 'new' | 'active' | 'silent' | 'churned' | 'reactivated'
export const STAGES: LifecycleStage[] = ['prospect', 'new', 'active', 'silent', 'churned', 'reactivated']

/** Value tiers of a buyer, highest first. */
export type ValueTier = 'high' | 'potential' | 'edge'
export const TIERS: ValueTier[] = ['high', 'potential', 'edge']

export interface Dashboard {
  time_zone: string
  totals: { people: number; events: number; orders: number; gmv_fen: number }
  days: { date: string; new_people: number; orders: number; gmv_fen: number }[]
  recent_live_sessions: LiveSession[]
  lifecycle: { stage: LifecycleStage; count: number }[]
  tiers: { tier: ValueTier; count: number }[]
}

export interface LiveSession {
  id: string
  title: string
  host: string
  topics: string[]
  scheduled_start: string
  started_at: string | null
  ended_at: string | null
  viewers: number
  orders: number
  gmv_fen: number
}

export interface Identity {
  kind: string
  value: string
  linked_at?: string
  message_id?: string
}

export interface PersonSummary {
  id: string
  name: string | null
  phone: string | null
  identities: Identity[]
  created_at: string
  updated_at: string
}

export interface Person {
  id: string
  created_at: string
  updated_at: string
  traits: Record<string, unknown>
  identities: Identity[]
}

export interface PersonEvent {
  id: number
  person: string
  message_id: string
  type: string
  name: string | null
  timestamp: string
  received_at: string
  payload: Record<string, unknown>
}

export interface EventPage {
  events: PersonEvent[]
  next: string | null
}

export interface OrderItem {
  sku: string
  name: string
  category: string
  price_fen: number
  quantity: number
}

export interface Order {
  order_id: string
  timestamp: string
  revenue_fen: number
  currency: string
  coupon: string | null
  session_id: string | null
  refunded_fen: number
  items: OrderItem[]
}

export interface LiveParticipation {
  session_id: string
  title: string | null
  entered_at: string
  watched_seconds: number
  comments: number
  likes: number
  shares: number
  orders: number
}

export interface CategoryAffinity {
  category: string
  purchases: number
  units: number
  last_purchase: string | null
  median_interval_days: number | null
}

/** A person's computed profile (lifecycle stage, value tier, spend and engagement) as of `as_of`. */
export interface PersonProfile {
  as_of: string
  stage: LifecycleStage
  tier: ValueTier
  expected_cycle_days: number | null
  first_seen: string | null
  last_seen: string | null
  first_order: string | null
  last_order: string | null
  orders: number
  spend_fen: number
  spend_30d_fen: number
  spend_90d_fen: number
  spend_365d_fen: number
  aov_fen: number
  live_watch_seconds: number
  comments: number
  likes: number
  shares: number
  last_touch: string | null
  open_tickets: number
  reachable: boolean
  categories: CategoryAffinity[]
  /** The person's tags: set by hand (`manual`) or matched by a tag's rule (`rule`). */
  tags: PersonTag[]
  /** RFM scores, 1–5 each; 0 when the person has never bought. */
  rfm: RfmScores
  /** What the predictive models say; null when the person never ordered or no model is fitted. */
  scores: Scores | null
}

/** How likely a person is to be slipping away, lowest first. */
export type ChurnRisk = 'low' | 'medium' | 'high'
export const RISKS: ChurnRisk[] = ['low', 'medium', 'high']

/** When a person is expected to run out of a category they buy, with an 80% interval. */
export interface RunOut {
  category: string
  at: string
  low: string
  high: string
}

/** A person's predictions (BG/NBD, Gamma-Gamma and run-outs). */
export interface Scores {
  /** The chance the person is still a customer, 0–1. */
  p_alive: number
  expected_orders_30d: number
  clv_fen: number
  churn_risk: ChurnRisk
  run_outs: RunOut[]
  next_category: string | null
}

/** The fitted predictive models: parameters, a holdout calibration and how risk is spread. */
export interface ModelsView {
  as_of: string
  customers: number
  repeat_buyers: number
  bgnbd: { r: number; alpha: number; a: number; b: number }
  log_likelihood: number
  iterations: number
  gamma_gamma: { p: number; q: number; gamma: number } | null
  risk_counts: { risk: ChurnRisk; count: number }[]
  /** Mean holdout purchases per customer, predicted and actual, by calibration-period repeat purchases
   * (the last group, 7, means 7 or more). */
  calibration: {
    holdout_days: number
    groups: { repeat_purchases: number; customers: number; predicted: number; actual: number }[]
  } | null
}

export interface PersonTag {
  name: string
  source: 'manual' | 'rule'
}

export interface RfmScores {
  r: number
  f: number
  m: number
}

export type SegmentKind = 'custom' | 'persona'

/** A saved segment: a rule, its current size and how the size moved lately. */
export interface SegmentSummary {
  id: string
  name: string
  description: string
  rule: string
  kind: SegmentKind
  version: number
  size: number
  /** Why the stored rule no longer parses; such a segment selects nobody. */
  rule_error?: { message: string; position?: number }
  trend: { at: string; size: number }[]
  created_at: string
  updated_at: string
}

export interface SegmentVersion {
  version: number
  rule: string
  created_at: string
  created_by: string | null
}

export interface SegmentDetail extends SegmentSummary {
  versions: SegmentVersion[]
}

export interface SegmentMember {
  person: string
  name: string | null
  since: string
  stage: LifecycleStage
  tier: ValueTier
}

export interface SegmentMemberPage {
  members: SegmentMember[]
  next: string | null
}

export interface SegmentChange {
  person: string
  change: 'entered' | 'left'
  at: string
}

/** How many people a rule matches right now, out of everyone, with a few of them. */
export interface SegmentPreview {
  count: number
  total: number
  sample: { person: string; name: string | null; stage: LifecycleStage; tier: ValueTier }[]
}

/** A tag: set on people by hand (no rule) or held by everyone its rule matches. */
export interface Tag {
  name: string
  rule: string | null
  description: string
  count: number
  /** Why the stored rule no longer parses; nobody carries such a tag. */
  rule_error?: { message: string; position?: number }
}

export interface User {
  id: string
  email: string
  name: string
  role: Role
  created_at: string
}

/** A pending invitation of the workspace (owners). */
export interface Invitation {
  id: number
  email: string
  role: Role
  created_at: string
  /** When its one-time token stops working; a signed-in invitee can still accept. */
  token_expires_at: string
}

/** The answer to an invitation: the same whether or not the email has an account. */
export interface Invited {
  status: 'invited'
  invitation: Invitation
  /** One-time: a new email's account is made with it; shown only now. */
  token: string
}

/** An invitation waiting for the signed-in operator. */
export interface MyInvitation {
  id: number
  workspace: string
  workspace_name: string
  role: Role
  created_at: string
}

export interface WriteKey {
  id: number | string
  name: string
  prefix: string
  created_at: string
  revoked_at: string | null
}

export interface Workspace {
  slug: string
  name: string
  time_zone: string
  created_at: string
}

export interface AuditEntry {
  id: number | string
  at: string
  user: string | null
  action: string
  target: string | null
  ip: string | null
}

/** A problem with a journey draft, naming its field (`steps[2].then`, `trigger.event`). */
export interface Problem {
  field: string
  message: string
}

export type JourneyStatus = 'draft' | 'live' | 'paused' | 'archived'
export const JOURNEY_STATUSES: JourneyStatus[] = ['draft', 'live', 'paused', 'archived']

export type ChannelKind = 'wecom' | 'sms' | 'miniprogram' | 'webhook'
export const CHANNELS: ChannelKind[] = ['wecom', 'sms', 'miniprogram', 'webhook']

export type Trigger =
  | { type: 'event'; event: string; properties?: Record<string, unknown> }
  | { type: 'segment_entered'; segment: number }
  | { type: 'segment_left'; segment: number }
  | { type: 'stage_changed'; to: LifecycleStage }
  | { type: 'level_changed'; to?: string | null }
  | { type: 'schedule'; once_at?: string | null; daily_at?: string | null; weekdays?: number[] }
  | { type: 'depletion'; days_before: number; category?: string | null }
  | { type: 'birthday'; days_before: number; at: string }
  | { type: 'live_session'; hours_before: number }
export type TriggerType = Trigger['type']

export interface SplitVariant {
  name: string
  percent: number
  next: string
}

/** One step of a journey; `next` says where to go after it (none: the journey ends there). */
export type Step = { id: string; next?: string | null } & (
  | { type: 'wait'; minutes?: number | null; until?: string | null }
  | { type: 'branch'; rule: string; then: string; else: string }
  | { type: 'split'; variants: SplitVariant[]; holdout_percent?: number }
  | { type: 'send'; channel: ChannelKind; template: string }
  | { type: 'coupon'; coupon: string; to_inviter?: boolean }
  | { type: 'tag'; tag: string; remove?: boolean }
  | { type: 'webhook'; topic: string }
  | { type: 'exit' }
)
export type StepType = Step['type']
export const STEP_TYPES: StepType[] = ['wait', 'branch', 'split', 'send', 'coupon', 'tag', 'webhook', 'exit']

export type ExitRule = { type: 'event'; event: string } | { type: 'rule'; rule: string }
export type Reentry = { type: 'once' } | { type: 'after'; days: number } | { type: 'always' }

/** A journey as stored and edited (docs/journeys.md); people start at `steps[0]`. */
export interface Definition {
  trigger: Trigger
  audience?: string | null
  steps: Step[]
  goal?: { event: string; within_days: number } | null
  exit?: ExitRule[]
  reentry?: Reentry
}

export interface JourneyVersion {
  version: number
  published_at: string
  published_by: string | null
}

export interface Journey {
  id: number
  name: string
  status: JourneyStatus
  /** The version people enter now, once published. */
  version: number | null
  draft: Definition
  created_at: string
  updated_at: string
  entered: number
  converted: number
  /** What stops the draft from being published; empty when it can be. */
  problems: Problem[]
  /** Newest first; only on a single journey. */
  versions?: JourneyVersion[]
}

/** Counts of one outcome at one step (and variant) of a journey. */
export interface ReadoutRow {
  step: string
  variant: string | null
  outcome: string
  count: number
}

export interface Lift {
  variant: string
  treated_rate: number
  holdout_rate: number
  /** treated − holdout, as a rate difference (0.05 = 5 points). */
  difference: number
  ci_low: number
  ci_high: number
  relative: number | null
  p_value: number
}

export interface Readout {
  steps: ReadoutRow[]
  messages: ReadoutRow[]
  variants: { variant: string | null; entered: number; converted: number; rate: number }[]
  lift: Lift[]
}

export interface MessageTemplate {
  name: string
  channel: ChannelKind
  text: string
  provider_template?: string | null
  params: { name: string; value: string }[]
  link?: string | null
  transactional: boolean
}

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
] as const

/** Marketing SMS in China must tell people how to refuse them. */
export const SMS_OPT_OUT = '拒收请回复R'

export interface RenderedMessage {
  text: string
  params: [string, string][]
  link: string | null
  sms_parts: number
}

export type CouponValue = { type: 'amount'; fen: number } | { type: 'discount'; percent: number }

export interface Coupon {
  name: string
  title: string
  value: CouponValue
  threshold_fen: number
  valid_days: number
  per_person_limit: number
}

/** A journey Rekindle ships, with the templates and coupons it needs. */
export interface ShippedJourney {
  key: string
  name: string
  description: string
  definition: Definition
  templates: MessageTemplate[]
  coupons: Coupon[]
}

export type MessageState =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'awaiting'
  | 'delivered'
  | 'failed'
  | 'uncertain'
  | 'skipped'

export interface PersonMessage {
  send_key: string
  channel: ChannelKind
  state: MessageState
  journey: number | null
  step: string | null
  variant: string | null
  text: string | null
  error_kind: string | null
  error_code: string | null
  error_message: string | null
  not_before: string
  created_at: string
  updated_at: string
  provider_id: string | null
}

export interface PersonEnrollment {
  id: number
  journey: number
  journey_name: string | null
  version: number
  state: 'active' | 'finished' | 'held_out' | 'converted' | 'exited'
  step: string | null
  variant: string | null
  entered_at: string
  converted_at: string | null
}

export interface PersonCoupon {
  code: string
  coupon: string
  issued_at: string
  expires_at: string
  redeemed_at: string | null
  order_id: string | null
}

/** What journeys did to a person: messages, journeys entered, coupons, opt-outs. */
export interface PersonMessages {
  messages: PersonMessage[]
  enrollments: PersonEnrollment[]
  coupons: PersonCoupon[]
  opted_out: ChannelKind[]
}

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
  const headers: Record<string, string> = { Accept: 'application/json' }
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
  setUserRole: (w: string, id: string, role: Role) =>
    request<User>('PUT', `/api/v1/users/${enc(id)}/role`, { query: ws(w), body: { role } }),
  deleteUser: (w: string, id: string) => request<void>('DELETE', `/api/v1/users/${enc(id)}`, { query: ws(w) }),

  writeKeys: (w: string) => request<WriteKey[]>('GET', '/api/v1/write-keys', { query: ws(w) }),
  createWriteKey: (w: string, name: string) =>
    request<{ key: string; info: WriteKey }>('POST', '/api/v1/write-keys', { query: ws(w), body: { name } }),
  revokeWriteKey: (w: string, id: number | string) =>
    request<void>('DELETE', `/api/v1/write-keys/${enc(String(id))}`, { query: ws(w) }),

  updateWorkspace: (slug: string, changes: { name: string; time_zone: string }) =>
    request<Workspace>('PUT', `/api/v1/workspaces/${enc(slug)}`, { body: changes }),

  audit: (w: string, limit = 100) => request<AuditEntry[]>('GET', '/api/v1/audit', { query: ws(w, { limit }) }),

  segments: (w: string) =>
    request<{ segments: SegmentSummary[] }>('GET', '/api/v1/segments', { query: ws(w) }).then((r) => r.segments),
  segment: (w: string, id: string) =>
    request<SegmentDetail>('GET', `/api/v1/segments/${enc(id)}`, { query: ws(w) }),
  createSegment: (w: string, segment: { name: string; description?: string; rule: string }) =>
    request<SegmentDetail>('POST', '/api/v1/segments', { query: ws(w), body: segment }),
  updateSegment: (w: string, id: string, changes: { name?: string; description?: string; rule?: string }) =>
    request<SegmentDetail>('PUT', `/api/v1/segments/${enc(id)}`, { query: ws(w), body: changes }),
  deleteSegment: (w: string, id: string) =>
    request<void>('DELETE', `/api/v1/segments/${enc(id)}`, { query: ws(w) }),
  previewSegment: (w: string, rule: string) =>
    request<SegmentPreview>('POST', '/api/v1/segments/preview', { query: ws(w), body: { rule } }),
  segmentMembers: (w: string, id: string, after?: string | null, limit = 50) =>
    request<SegmentMemberPage>('GET', `/api/v1/segments/${enc(id)}/members`, { query: ws(w, { limit, after }) }),
  segmentChanges: (w: string, id: string, limit = 50) =>
    request<{ changes: SegmentChange[] }>('GET', `/api/v1/segments/${enc(id)}/changes`, {
      query: ws(w, { limit }),
    }).then((r) => r.changes),
  /** The members as a CSV download: a plain link, the session cookie authenticates the GET. */
  segmentMembersCsvUrl: (w: string, id: string) =>
    `/api/v1/segments/${enc(id)}/members.csv?${new URLSearchParams({ workspace: w })}`,

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
  publishJourney: (w: string, id: string | number) =>
    request<{ version: number }>('POST', `/api/v1/journeys/${enc(String(id))}/publish`, { query: ws(w) }),
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

  /** Everything held about a person, unmasked (pii.read; docs/privacy.md). */
  exportPerson: (w: string, id: string) => request<unknown>('GET', `/api/v1/people/${enc(id)}/export`, { query: ws(w) }),
  /** Erase a person irreversibly (owner); `id` is the person's id, repeated as the confirmation. */
  erasePerson: (w: string, id: string) =>
    request<ErasureReport>('DELETE', `/api/v1/people/${enc(id)}`, { query: ws(w, { confirm: id }) }),
}

/** What an erasure removed (docs/privacy.md). */
export interface ErasureReport {
  person: string
  merged: string[]
  deleted: Record<string, number>
  scrubbed: Record<string, number>
  orders_kept: number
}
