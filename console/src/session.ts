// The signed-in user and the selected workspace (store), shared by every page.
import { computed, reactive } from 'vue'
import { api, ApiError, setCsrfToken, type Permission, type Session, type Workspace } from './api'

const WORKSPACE_KEY = 'rekindle.workspace'

interface State {
  session: Session | null
  /** Whether the server has been asked who we are (once per page load). */
  checked: boolean
  workspaceSlug: string
}

const state = reactive<State>({
  session: null,
  checked: false,
  workspaceSlug: localStorage.getItem(WORKSPACE_KEY) ?? '',
})

function adopt(session: Session | null): void {
  state.session = session
  state.checked = true
  setCsrfToken(session?.csrf_token ?? '')
  const slugs = session?.workspaces.map((w) => w.slug) ?? []
  if (slugs.length && !slugs.includes(state.workspaceSlug)) selectWorkspace(slugs[0])
}

/** Asks the server for the current session; a 401 simply means nobody is signed in. */
export async function loadSession(): Promise<Session | null> {
  try {
    adopt(await api.me())
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) adopt(null)
    else throw e
  }
  return state.session
}

export async function login(email: string, password: string): Promise<void> {
  adopt(await api.login(email, password))
}

export async function logout(): Promise<void> {
  try {
    await api.logout()
  } finally {
    adopt(null)
  }
}

/** Forgets the session locally (after a 401 from the server). */
export function dropSession(): void {
  adopt(null)
}

export function selectWorkspace(slug: string): void {
  state.workspaceSlug = slug
  localStorage.setItem(WORKSPACE_KEY, slug)
}

/** Applies a workspace saved in settings to the session's copy (name, time zone). */
export function updateWorkspace(updated: Workspace): void {
  const w = state.session?.workspaces.find((x) => x.slug === updated.slug)
  if (w) {
    w.name = updated.name
    w.time_zone = updated.time_zone
  }
}

export const session = {
  state,
  user: computed(() => state.session?.user ?? null),
  workspaces: computed(() => state.session?.workspaces ?? []),
  workspace: computed(() => state.session?.workspaces.find((w) => w.slug === state.workspaceSlug) ?? null),
  /** The slug to pass as `?workspace=`. */
  slug: computed(() => state.workspaceSlug),
  timeZone: computed(
    () => state.session?.workspaces.find((w) => w.slug === state.workspaceSlug)?.time_zone ?? 'Asia/Shanghai',
  ),
}

export function can(permission: Permission): boolean {
  return session.workspace.value?.permissions.includes(permission) ?? false
}
