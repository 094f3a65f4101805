import { Alert, Button, Empty, Result, Spin, Tag } from 'antd';
// antd marks the hidden row it measures column widths with; not re-exported from the package root.
import TableMeasureRowContext from 'antd/es/table/TableMeasureRowContext';
import { type DependencyList, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ApiFailure, isForbidden } from './api';
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

/** The signed-in user's roles do not cover this page (reached by URL, or the server said 403). */
export function NoPermission({ need }: { need?: string }) {
  const t = useT();
  return (
    <Result
      status="403"
      title={t('无权限', 'No permission')}
      subTitle={
        need
          ? t(
              `此页面需要以下角色之一：${need}。如需开通请联系本机构管理员。`,
              `This page needs one of: ${need}. Ask your agency administrator.`,
            )
          : t(
              '您的账号无权访问此页面。如需开通请联系本机构管理员。',
              'Your account may not open this page. Ask your agency administrator.',
            )
      }
      extra={
        <Link to="/console">
          <Button type="primary">{t('返回工作台', 'Back to the dashboard')}</Button>
        </Link>
      }
      data-testid="no-permission"
    />
  );
}

/** An interface another release provides is not published by this server (checked in its OpenAPI document). */
export function NotOnServer({ what }: { what: string }) {
  const t = useT();
  return (
    <Result
      status="info"
      title={t('本服务器未提供此功能', 'Not offered by this server')}
      subTitle={t(
        `此服务器的接口文档中没有「${what}」所需的接口；升级服务端后此页即可使用。`,
        `The server's API document has no interface for “${what}”; this page works once the server is upgraded.`,
      )}
      data-testid="not-on-server"
    />
  );
}

export function Loading() {
  const t = useT();
  return (
    <div style={{ padding: 48, textAlign: 'center' }} aria-busy="true">
      <Spin description={t('加载中…', 'Loading…')} size="large">
        <div style={{ minHeight: 40 }} />
      </Spin>
    </div>
  );
}

export function LoadError({ error, what, retry }: { error: unknown; what: string; retry?: () => void }) {
  const t = useT();
  if (isForbidden(error)) return <NoPermission />;
  if (error instanceof ApiFailure && error.status === 401)
    return (
      <Result
        status="warning"
        title={t('登录已失效', 'Signed out')}
        subTitle={t('请重新登录后继续。', 'Sign in again to continue.')}
        extra={
          <Link to="/login">
            <Button type="primary">{t('重新登录', 'Sign in')}</Button>
          </Link>
        }
      />
    );
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={t(`${what}加载失败`, `Could not load ${what}`)}
      description={errorText(error, t)}
      action={
        retry && (
          <Button size="small" onClick={retry}>
            {t('重试', 'Retry')}
          </Button>
        )
      }
    />
  );
}

/** Wraps a page body: spinner while loading, a designed error (403 → 无权限) state, empty state. */
export function Loadable<T>({
  state,
  what,
  empty,
  emptyText,
  children,
}: {
  state: Async<T>;
  what: string;
  empty?: (d: T) => boolean;
  emptyText?: string;
  children: (d: T) => ReactNode;
}) {
  const t = useT();
  if (state.loading && state.data === undefined) return <Loading />;
  if (state.error !== undefined && state.data === undefined)
    return <LoadError error={state.error} what={what} retry={state.reload} />;
  const d = state.data as T;
  if (empty?.(d)) return <Empty description={emptyText ?? t('暂无数据', 'Nothing here yet')} />;
  return <>{children(d)}</>;
}

/**
 * Tag colours chosen for text contrast ≥ 4.5:1 (WCAG AA): antd's light preset tags (e.g. gold text on a pale
 * background) fall below it, so statuses use solid dark backgrounds with white text.
 */
export const TONE: Record<string, string> = {
  ok: '#237804',
  warn: '#874d00',
  alert: '#ad4e00',
  bad: '#a8071a',
  info: '#1456c8',
  none: '#595959',
};
export const STATUS_TONE: Record<string, keyof typeof TONE> = {
  draft: 'none',
  'pending-seal': 'warn',
  issued: 'ok',
  suspended: 'alert',
  cancelled: 'bad',
  revoked: 'bad',
  void: 'bad',
  voided: 'bad',
  superseded: 'none',
  'rolled-back': 'none',
};
export function ToneTag({ tone, children, testId }: { tone: keyof typeof TONE; children: ReactNode; testId?: string }) {
  return (
    <Tag color={TONE[tone]} data-testid={testId}>
      {children}
    </Tag>
  );
}
const STATUS_EN: Record<string, string> = {
  draft: 'Draft',
  'pending-seal': 'Pending seal',
  issued: 'Valid',
  suspended: 'Suspended',
  superseded: 'Cancelled (superseded)',
  cancelled: 'Cancelled',
  revoked: 'Revoked',
  voided: 'Voided',
  'rolled-back': 'Rolled back',
};
/** The server names a status in Chinese; the English switch shows the English name of the code. */
export function StatusTag({ c }: { c: { status: string; statusName: string } }) {
  const t = useT();
  return (
    <ToneTag tone={STATUS_TONE[c.status] ?? 'none'}>{t(c.statusName, STATUS_EN[c.status] ?? c.statusName)}</ToneTag>
  );
}

/** Audit action codes in words (the codes stay visible in English mode and for unknown actions). */
const ACTION_NAMES: Record<string, string> = {
  'certificate.download': '下载',
  'certificate.collect': '领用',
  'certificate.preview': '预览',
  'certificate.view': '查看',
  'certificate.search': '检索证照',
  'certificate.seal': '签章',
  'certificate.status': '状态变更',
  'certificate.correct': '更正',
  'certificate.cancel': '注销',
  'certificate.rollback': '回退',
  'certificate.suspend': '挂起',
  'certificate.resume': '恢复',
  'certificate.intake': '接收证照',
  'certificate.paper-collect': '纸质领证',
  'register.entry': '登簿',
  'seal-batch.start': '批量签章',
  'share.search': '检索',
  'share.info': '获取照面信息',
  'share.download': '下载加注件',
  'share.verify': '信息验证',
  'auth.login': '登录',
  'auth.logout': '退出',
  'auth.client': '接口凭证认证',
  'auth.holder-sms': '权利人短信验证码',
  'auth.holder-login': '权利人登录',
  'auth.totp': '动态验证码',
  'auth.totp-enrol': '绑定动态验证码',
  'auth.totp-enrol-start': '开始绑定动态验证码',
  'auth.step-up': '二次验证',
  'auth.password-change': '修改密码',
  'seal.file': '印章备案',
  'seal.import': '导入印章',
  'seal.active': '启用印章',
  'seal.suspended': '停用印章',
  'seal.revoked': '注销印章',
  'staff-user.create': '新建用户',
  'staff-user.update': '修改用户',
  'staff-user.password-reset': '重置密码',
  'agency.sealing-schedule': '设置签章方式',
  'agreement.create': '登记共享协议',
  'api-client.create': '签发接口凭证',
  'objection.file': '提出异议',
  'objection.processing': '核实异议',
  'objection.resolved': '办结异议',
  'objection.rejected': '驳回异议',
  'verify.public': '公众核验',
  'import.stock.start': '存量导入开始',
  'import.stock.invalid': '存量导入校验未通过',
  'import.stock.done': '存量导入完成',
  'import.stock.failed': '存量导入失败',
  'audit.read': '查阅审计日志',
  'audit.chain-verify': '审计链校验',
  'case.archive': '归档',
  'sync.push': '同步推送',
  'sync.reconcile': '同步对账',
};
export function actionName(code: string, t: (zh: string, en: string) => string): string {
  const zh = ACTION_NAMES[code];
  return zh ? t(`${zh}（${code}）`, code) : code;
}

export const RESULT_NAMES = (t: (zh: string, en: string) => string): Record<string, string> => ({
  success: t('成功', 'success'),
  denied: t('拒绝', 'denied'),
  error: t('出错', 'error'),
});
export function ResultTag({ result }: { result: string }) {
  const t = useT();
  const tone = result === 'success' ? 'ok' : result === 'denied' ? 'alert' : 'bad';
  return <ToneTag tone={tone}>{RESULT_NAMES(t)[result] ?? result}</ToneTag>;
}

/**
 * A table column title that antd also renders into its aria-hidden measuring row: there a focusable control (the
 * select-all checkbox) would be an invisible tab stop (axe: aria-hidden-focus), so the measuring copy is empty.
 */
export function OutsideMeasureRow({ children }: { children: ReactNode }) {
  return useContext(TableMeasureRowContext) ? null : <>{children}</>;
}
