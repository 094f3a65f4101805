import { Alert, Button, Empty, Result, Spin } from 'antd';
import { type DependencyList, type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiFailure, isMissing } from './api';
import { useT } from './i18n';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads once per dependency change; pages render loading, error, empty and data states from it. */
export function useAsync<T>(fn: () => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists the inputs of fn
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function errorText(e: unknown, t: (zh: string, en: string) => string): string {
  if (e instanceof ApiFailure) return t(e.zh, e.en || e.zh);
  return e instanceof Error ? e.message : String(e);
}

export function ComingSoon({ what }: { what: string }) {
  const t = useT();
  return (
    <Result
      status="info"
      title={t('功能建设中', 'Coming soon')}
      subTitle={t(
        `「${what}」所需的服务接口尚未上线，上线后此页自动可用。`,
        `The service behind “${what}” is not available on this server yet; this page works as soon as it is.`,
      )}
      data-testid="coming-soon"
    />
  );
}

/** Wraps a page body: spinner while loading, a designed error (or coming-soon) state, empty state. */
export function Loadable<T>({
  state,
  what,
  empty,
  children,
}: {
  state: Async<T>;
  what: string;
  empty?: (d: T) => boolean;
  children: (d: T) => ReactNode;
}) {
  const t = useT();
  if (state.loading && state.data === undefined)
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin tip={t('加载中…', 'Loading…')} size="large">
          <div style={{ minHeight: 40 }} />
        </Spin>
      </div>
    );
  if (state.error !== undefined && state.data === undefined) {
    if (isMissing(state.error)) return <ComingSoon what={what} />;
    return (
      <Alert
        type="error"
        showIcon
        role="alert"
        message={t('加载失败', 'Could not load')}
        description={errorText(state.error, t)}
        action={
          <Button size="small" onClick={state.reload}>
            {t('重试', 'Retry')}
          </Button>
        }
      />
    );
  }
  const d = state.data as T;
  if (empty?.(d)) return <Empty description={t('暂无数据', 'Nothing here yet')} />;
  return <>{children(d)}</>;
}

export const STATUS_COLOR: Record<string, string> = {
  draft: 'default',
  'pending-seal': 'gold',
  issued: 'green',
  suspended: 'orange',
  cancelled: 'red',
  revoked: 'red',
  void: 'red',
  superseded: 'default',
  'rolled-back': 'default',
};

/** Audit action codes in words (the codes stay visible in English mode and for unknown actions). */
const ACTION_NAMES: Record<string, string> = {
  'certificate.download': '下载',
  'certificate.collect': '领用',
  'certificate.preview': '预览',
  'certificate.seal': '签章',
  'certificate.status': '状态变更',
  'certificate.correct': '更正',
  'register.entry': '登簿',
  'share.search': '检索',
  'share.info': '获取照面信息',
  'share.download': '下载加注件',
  'share.verify': '信息验证',
};
export function actionName(code: string, t: (zh: string, en: string) => string): string {
  const zh = ACTION_NAMES[code];
  return zh ? t(`${zh}（${code}）`, code) : code;
}
