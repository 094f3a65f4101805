import { createContext, useCallback, useContext } from 'react';

export type Lang = 'zh' | 'en';
export const LangContext = createContext<{ lang: Lang; setLang: (l: Lang) => void }>({ lang: 'zh', setLang: () => {} });

/** `t('中文', 'English')` — Chinese first; the English switch in the header flips every label. */
export function useT(): (zh: string, en: string) => string {
  const { lang } = useContext(LangContext);
  // Stable per language, so effects that list `t` do not re-run on every render.
  return useCallback((zh: string, en: string) => (lang === 'en' ? en : zh), [lang]);
}

export function fmtTime(s: string | null | undefined): string {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
}
