import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { errorText, Loadable, useAsync } from '../common';
import { fmtTime, useT } from '../i18n';

/**
 * 同步状态 (docs/sync.md): for a city node, its push to the province — lag in seconds and in messages, last success,
 * failures with the last error, backlog — with 「立即同步」 and 「立即对账」; for a province node, every enrolled city's
 * receiving progress and refused messages, and enrolment tokens; on both, the latest reconciliations.
 */
type T = (zh: string, en: string) => string;

interface Upstream {
  joined: boolean;
  provinceNodeId: string | null;
  provinceName: string | null;
  provinceUrl: string | null;
  regionCodes: string[];
  joinedAt: string | null;
  lastSeq: string;
  ackedSeq: string;
  lagMessages: number;
  lagSeconds: number;
  backlog: { unsequenced: number; unacknowledged: number };
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  consecutiveFailures: number;
  failuresTotal: string;
  lastError: string | null;
  lastErrorAt: string | null;
  nextAttemptAt: string | null;
  pushedTotal: string;
}
interface Peer {
  nodeId: string;
  kind: 'city' | 'agency-system';
  name: string;
  regionCodes: string[];
  baseUrl: string | null;
  self: boolean;
  ackedSeq: string;
  maxSeq: string;
  waiting: string;
  lastReceivedAt: string | null;
  lastDelaySeconds: number | null;
  messagesTotal: string;
  duplicatesTotal: string;
  rejectedTotal: string;
  lastError: string | null;
  certificates: number;
  recentRejections: {
    seq: string;
    type: string;
    ref: string;
    error: { message?: string; messageEn?: string; field?: string } | null;
    receivedAt: string;
  }[];
}
interface Diverging {
  day: string;
  city: { count: number };
  province: { count: number };
  missing: number;
  different: number;
  extra: number;
}
interface Recon {
  id: string;
  side: 'city' | 'province';
  peer: string;
  status: 'ok' | 'diverged' | 'failed';
  startedAt: string;
  daysCompared: number;
  certificates: number;
  diverging: Diverging[];
  repaired: number;
  error: string | null;
}
interface Status {
  role: 'all' | 'city' | 'province';
  nodeId: string;
  nodeName: string;
  mode: 'realtime' | 'scheduled';
  times: string[];
  upstream: Upstream | null;
  peers: Peer[];
  reconciliations: Recon[];
}

const ROLE = (t: T) => ({
  all: t('市级兼省级（演示）', 'city and province (demo)'),
  city: t('市级节点', 'city node'),
  province: t('省级节点', 'province node'),
});
const RECON = (t: T): Record<Recon['status'], [string, string]> => ({
  ok: [t('一致', 'match'), 'green'],
  diverged: [t('不一致', 'diverged'), 'red'],
  failed: [t('失败', 'failed'), 'orange'],
});

function seconds(s: number | null, t: T): string {
  if (s === null) return '—';
  if (s < 60) return t(`${s.toFixed(1)} 秒`, `${s.toFixed(1)} s`);
  if (s < 3600) return t(`${(s / 60).toFixed(1)} 分钟`, `${(s / 60).toFixed(1)} min`);
  return t(`${(s / 3600).toFixed(1)} 小时`, `${(s / 3600).toFixed(1)} h`);
}

export function SyncStatusPage({ roles }: { roles: readonly string[] }) {
  const t = useT();
  const { message } = App.useApp();
  const st = useAsync(() => api<Status>('/api/v1/sync/status'), []);
  const admin = roles.includes('agency-admin') || roles.includes('province-admin');
  const provinceAdmin = roles.includes('province-admin');
  const [busy, setBusy] = useState<string>();
  const [token, setToken] = useState<string>();
  // The page follows the numbers: refresh every 5 s while open.
  useEffect(() => {
    const h = setInterval(st.reload, 5000);
    return () => clearInterval(h);
  }, [st.reload]);
  const run = async (what: string, f: () => Promise<unknown>, done: string) => {
    setBusy(what);
    try {
      await f();
      message.success(done);
      st.reload();
    } catch (e) {
      message.error(errorText(e, t));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Loadable state={st} what={t('同步状态', 'sync status')}>
      {(s) => {
        const city = s.role !== 'province';
        const prov = s.role !== 'city';
        const u = s.upstream;
        return (
          <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="sync-page">
            <Card
              title={t('市—省同步', 'City → province synchronisation')}
              extra={
                city &&
                admin &&
                u?.joined && (
                  <Space wrap>
                    <Button
                      loading={busy === 'push'}
                      onClick={() =>
                        run(
                          'push',
                          () => api('/api/v1/sync/push-now', { method: 'POST' }),
                          t('已开始推送', 'Push started'),
                        )
                      }
                    >
                      {t('立即同步', 'Push now')}
                    </Button>
                    <Button
                      loading={busy === 'recon'}
                      onClick={() =>
                        run(
                          'recon',
                          () => api('/api/v1/sync/reconcile/run', { body: { repair: true } }),
                          t('对账完成', 'Reconciliation done'),
                        )
                      }
                      data-testid="sync-reconcile"
                    >
                      {t('立即对账', 'Reconcile now')}
                    </Button>
                  </Space>
                )
              }
            >
              <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                <Descriptions.Item label={t('节点', 'Node')}>
                  {s.nodeName} <Typography.Text type="secondary">({s.nodeId})</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('角色', 'Role')}>{ROLE(t)[s.role]}</Descriptions.Item>
                <Descriptions.Item label={t('推送方式', 'Mode')}>
                  {s.mode === 'realtime'
                    ? t('实时推送', 'real time')
                    : t(`定时推送（${s.times.join('、')}）`, `scheduled (${s.times.join(', ')})`)}
                </Descriptions.Item>
              </Descriptions>
            </Card>

            {city && u && !u.joined && <JoinCard t={t} admin={admin} onDone={st.reload} />}
            {city && u?.joined && (
              <Card
                title={t(`推送至 ${u.provinceName ?? ''}`, `Pushing to ${u.provinceName ?? ''}`)}
                data-testid="sync-upstream"
              >
                {u.consecutiveFailures > 0 && (
                  <Alert
                    type="error"
                    showIcon
                    role="alert"
                    style={{ marginBottom: 12 }}
                    title={t(
                      `连续 ${u.consecutiveFailures} 次推送失败，将自动重试（${fmtTime(u.nextAttemptAt)}）`,
                      `${u.consecutiveFailures} failed pushes in a row; retrying automatically (${fmtTime(u.nextAttemptAt)})`,
                    )}
                    description={u.lastError}
                  />
                )}
                <Row gutter={[16, 16]}>
                  <Col xs={12} md={6}>
                    <Statistic title={t('延迟', 'Lag')} value={seconds(u.lagSeconds, t)} />
                  </Col>
                  <Col xs={12} md={6}>
                    <Statistic title={t('积压消息', 'Backlog (messages)')} value={u.lagMessages} />
                  </Col>
                  <Col xs={12} md={6}>
                    <Statistic title={t('最近成功', 'Last success')} value={fmtTime(u.lastSuccessAt)} />
                  </Col>
                  <Col xs={12} md={6}>
                    <Statistic title={t('累计失败', 'Failures (total)')} value={u.failuresTotal} />
                  </Col>
                </Row>
                <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginTop: 16 }}>
                  <Descriptions.Item label={t('省级节点地址', 'Province URL')}>
                    {u.provinceUrl ?? t('本节点（进程内）', 'this node (in process)')}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('辖区', 'Regions')}>
                    {u.regionCodes.map((r) => r || t('全部', 'all')).join('、')}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('已编号 / 已确认序号', 'Sequenced / acknowledged')}>
                    {u.lastSeq} / {u.ackedSeq}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('未编号事件 / 未确认消息', 'Not yet sequenced / unacknowledged')}>
                    {u.backlog.unsequenced} / {u.backlog.unacknowledged}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('最近尝试', 'Last attempt')}>
                    {fmtTime(u.lastAttemptAt)}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('已推送消息', 'Messages pushed')}>{u.pushedTotal}</Descriptions.Item>
                  {u.lastError && (
                    <Descriptions.Item label={t('最近错误', 'Last error')} span={2}>
                      <Typography.Text type="danger">{u.lastError}</Typography.Text> ({fmtTime(u.lastErrorAt)})
                    </Descriptions.Item>
                  )}
                </Descriptions>
              </Card>
            )}

            {(prov || s.peers.some((p) => p.kind === 'agency-system')) && (
              <Card
                title={prov ? t('各市级节点接收情况', 'Cities received') : t('自建证照系统', 'Agency systems')}
                extra={prov && provinceAdmin && <TokenForm t={t} onToken={setToken} />}
              >
                {token && (
                  <Alert
                    type="success"
                    showIcon
                    closable
                    onClose={() => setToken(undefined)}
                    style={{ marginBottom: 12 }}
                    title={t(
                      '注册令牌（仅显示一次，交市级节点管理员）',
                      'Enrolment token (shown once; give it to the city administrator)',
                    )}
                    description={
                      <Typography.Text copyable code style={{ wordBreak: 'break-all' }}>
                        {token}
                      </Typography.Text>
                    }
                  />
                )}
                <Table<Peer>
                  rowKey="nodeId"
                  size="small"
                  scroll={{ x: true }}
                  pagination={false}
                  dataSource={s.peers}
                  expandable={{
                    rowExpandable: (p) => p.recentRejections.length > 0,
                    expandedRowRender: (p) => (
                      <ul style={{ margin: 0 }}>
                        {p.recentRejections.map((r) => (
                          <li key={r.seq}>
                            #{r.seq} {r.ref} — {t(r.error?.message ?? '', r.error?.messageEn ?? r.error?.message ?? '')}
                            {r.error?.field ? ` (${r.error.field})` : ''} · {fmtTime(r.receivedAt)}
                          </li>
                        ))}
                      </ul>
                    ),
                  }}
                  columns={[
                    {
                      title: t('节点', 'Node'),
                      render: (_: unknown, p: Peer) => (
                        <>
                          {p.name} <Typography.Text type="secondary">({p.nodeId})</Typography.Text>
                          {p.self && <Tag style={{ marginLeft: 4 }}>{t('本节点', 'this node')}</Tag>}
                          {p.kind === 'agency-system' && <Tag color="blue">{t('自建系统', 'agency system')}</Tag>}
                        </>
                      ),
                    },
                    {
                      title: t('辖区', 'Regions'),
                      render: (_: unknown, p: Peer) => p.regionCodes.map((r) => r || t('全部', 'all')).join('、'),
                    },
                    { title: t('已确认序号', 'Acknowledged'), dataIndex: 'ackedSeq' },
                    { title: t('待补缺口', 'Waiting beyond a gap'), dataIndex: 'waiting' },
                    { title: t('库内证照', 'Certificates held'), dataIndex: 'certificates' },
                    { title: t('最近接收', 'Last received'), dataIndex: 'lastReceivedAt', render: fmtTime },
                    {
                      title: t('最近消息延迟', 'Latest delay'),
                      render: (_: unknown, p: Peer) => seconds(p.lastDelaySeconds, t),
                    },
                    {
                      title: t('拒收', 'Refused'),
                      render: (_: unknown, p: Peer) =>
                        p.rejectedTotal === '0' ? (
                          '0'
                        ) : (
                          <Typography.Text type="danger">{p.rejectedTotal}</Typography.Text>
                        ),
                    },
                  ]}
                />
              </Card>
            )}

            <Card
              title={t(
                '对账记录（按市、按日比对数量与SM3摘要）',
                'Reconciliations (per city and day: counts and SM3 digests)',
              )}
            >
              <Table<Recon>
                rowKey="id"
                size="small"
                scroll={{ x: true }}
                pagination={false}
                dataSource={s.reconciliations}
                locale={{ emptyText: t('尚未对账', 'No reconciliation yet') }}
                columns={[
                  { title: t('时间', 'Time'), dataIndex: 'startedAt', render: fmtTime },
                  { title: t('节点', 'Node'), dataIndex: 'peer' },
                  {
                    title: t('结果', 'Result'),
                    render: (_: unknown, r: Recon) => {
                      const [label, color] = RECON(t)[r.status];
                      return <Tag color={color}>{label}</Tag>;
                    },
                  },
                  { title: t('天数', 'Days'), dataIndex: 'daysCompared' },
                  { title: t('证照数', 'Certificates'), dataIndex: 'certificates' },
                  {
                    title: t('差异', 'Differences'),
                    render: (_: unknown, r: Recon) =>
                      r.error
                        ? r.error
                        : r.diverging.length === 0
                          ? '—'
                          : r.diverging
                              .map((d) =>
                                t(
                                  `${d.day}：市${d.city.count}/省${d.province.count}，缺${d.missing}，不同${d.different}，多${d.extra}`,
                                  `${d.day}: city ${d.city.count}/province ${d.province.count}, missing ${d.missing}, different ${d.different}, extra ${d.extra}`,
                                ),
                              )
                              .join('；'),
                  },
                  { title: t('已补发', 'Re-sent'), dataIndex: 'repaired' },
                ]}
              />
            </Card>
          </Space>
        );
      }}
    </Loadable>
  );
}

function JoinCard({ t, admin, onDone }: { t: T; admin: boolean; onDone: () => void }) {
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Card title={t('尚未注册到省级节点', 'Not joined to a province yet')}>
      {!admin ? (
        <Alert
          type="info"
          showIcon
          title={t('由机构管理员凭省级注册令牌办理。', 'An administrator joins with the province’s enrolment token.')}
        />
      ) : (
        <Form
          layout="vertical"
          onFinish={async (v: { provinceUrl?: string; token: string }) => {
            setBusy(true);
            setErr(undefined);
            try {
              await api('/api/v1/sync/join', {
                body: { ...(v.provinceUrl ? { provinceUrl: v.provinceUrl } : {}), token: v.token },
              });
              onDone();
            } catch (e) {
              setErr(errorText(e, t));
            } finally {
              setBusy(false);
            }
          }}
        >
          {err && <Alert type="error" showIcon role="alert" title={err} style={{ marginBottom: 12 }} />}
          <Form.Item
            label={t('省级节点地址（可留空，取配置）', 'Province URL (blank: from the configuration)')}
            name="provinceUrl"
          >
            <Input placeholder="https://" />
          </Form.Item>
          <Form.Item label={t('注册令牌', 'Enrolment token')} name="token" rules={[{ required: true }]}>
            <Input.TextArea autoSize placeholder="bdc1.…" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('注册', 'Join')}
          </Button>
        </Form>
      )}
    </Card>
  );
}

function TokenForm({ t, onToken }: { t: T; onToken: (token: string) => void }) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  return (
    <Form
      layout="inline"
      onFinish={async (v: { label: string; regions: string[] }) => {
        setBusy(true);
        try {
          const r = await api<{ token: string }>('/api/v1/sync/enrolment-tokens', {
            body: { label: v.label, regionCodes: v.regions },
          });
          onToken(r.token);
        } catch (e) {
          message.error(errorText(e, t));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Form.Item name="label" rules={[{ required: true, message: t('请填写用途', 'Label required') }]}>
        <Input placeholder={t('如：信阳市电子证照系统', 'e.g. 信阳市电子证照系统')} style={{ width: 200 }} />
      </Form.Item>
      <Form.Item name="regions" rules={[{ required: true, message: t('请填写行政区划', 'Regions required') }]}>
        <Select
          mode="tags"
          placeholder={t('行政区划前缀，如 4115', 'region prefixes, e.g. 4115')}
          style={{ width: 200 }}
          tokenSeparators={[',', ' ']}
        />
      </Form.Item>
      <Button htmlType="submit" loading={busy}>
        {t('签发注册令牌', 'Issue a token')}
      </Button>
    </Form>
  );
}
