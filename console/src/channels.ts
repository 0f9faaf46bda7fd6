// Which message channels can send for the current workspace, shared by every page that
// configures or publishes messages (journey editor, templates, settings). Loaded once per
// workspace and refreshed when the owner saves a provider.
import { computed, ref, watch } from 'vue'
import { api, type ChannelsView } from './api'
import { session } from './session'

const view = ref<ChannelsView | null>(null)
let loadedFor = ''

export async function reloadChannels(): Promise<void> {
  loadedFor = session.slug.value
  try {
    view.value = await api.channels(loadedFor)
  } catch {
    view.value = null
  }
}

export function setChannels(v: ChannelsView): void {
  view.value = v
}

watch(session.slug, () => {
  if (loadedFor && loadedFor !== session.slug.value) void reloadChannels()
})

export function useChannels() {
  if (loadedFor !== session.slug.value) void reloadChannels()
  return {
    view,
    /** Known and configured; unknown (not loaded) counts as ready, so nothing warns wrongly. */
    ready: (kind: string) => view.value?.channels.find((c) => c.kind === kind)?.ready ?? true,
    /** The channels with no provider, once loaded. */
    missing: computed(() => (view.value?.channels ?? []).filter((c) => !c.ready).map((c) => c.kind)),
  }
}
