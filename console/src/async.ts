import { ref, shallowRef, type Ref } from 'vue'

/** Loads data for a page section: the value, whether it is loading, and the last error. */
export function useAsync<T>(load: () => Promise<T>, immediate = true) {
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const error = ref<unknown>(null)
  const loading = ref(false)
  let generation = 0

  async function reload(): Promise<void> {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const value = await load()
      if (mine === generation) data.value = value
    } catch (e) {
      if (mine === generation) error.value = e
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  if (immediate) void reload()
  return { data, error, loading, reload }
}
