import {
  AuditOutlined,
  BankOutlined,
  DashboardOutlined,
  ExceptionOutlined,
  FileSearchOutlined,
  ImportOutlined,
  LogoutOutlined,
  SafetyCertificateOutlined,
  SnippetsOutlined,
  TeamOutlined,
  VerifiedOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  Layout,
  Menu,
  Modal,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import {
  ApiFailure,
  api,
  type CertificateDetail,
  type CertificateSummary,
  isMissing,
  type SealBatch,
  type StaffMe,
} from '../api';
import { Chart } from '../chart';
import { actionName, ComingSoon, errorText, Loadable, STATUS_COLOR, useAsync } from '../common';
import { fmtTime, useT } from '../i18n';
import { LangSwitch } from '../shell';

type T = (zh: string, en: string) => string;

export function StaffLogin() {
  const t = useT();
  const nav = useNavigate();
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { username?: string; password?: string; code?: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const r =
        step === 'password'
          ? await api<{ next: string }>('/api/v1/auth/login', { body: { username: v.username, password: v.password } })
          : await api<{ next: string }>('/api/v1/auth/totp', { body: { code: v.code } });
      if (r.next === 'done') nav('/console');
      else if (r.next === 'totp') setStep('totp');
      else
        setError(
          t(
            '此账号须先绑定动态验证码，请联系管理员。',
            'This account must enrol a TOTP app first; ask the administrator.',
          ),
        );
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5', padding: 16 }}>
      <Card style={{ width: 380, maxWidth: '100%' }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('工作人员登录', 'Staff sign-in')}
          </Typography.Title>
          <LangSwitch />
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('不动产登记电子证照管理控制台', 'Real-estate e-certificate console')}
        </Typography.Paragraph>
        {error && <Alert type="error" showIcon message={error} role="alert" style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          {step === 'password' ? (
            <>
              <Form.Item label={t('用户名', 'User name')} name="username" rules={[{ required: true }]}>
                <Input autoComplete="username" autoFocus />
              </Form.Item>
              <Form.Item label={t('密码', 'Password')} name="password" rules={[{ required: true }]}>
                <Input.Password autoComplete="current-password" />
              </Form.Item>
            </>
          ) : (
            <Form.Item
              label={t('动态验证码（6 位）', 'Authenticator code (6 digits)')}
              name="code"
              rules={[{ required: true, pattern: /^\d{6}$/ }]}
            >
              <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} autoFocus />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {step === 'password' ? t('登录', 'Sign in') : t('验证', 'Verify')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}

const MENU = (t: T) => [
  { key: 'dashboard', icon: <DashboardOutlined />, label: t('工作台', 'Dashboard') },
  { key: 'entries', icon: <SnippetsOutlined />, label: t('登簿记录', 'Register entries') },
  { key: 'seal-queue', icon: <SafetyCertificateOutlined />, label: t('待签章', 'Pending seal') },
  { key: 'certificates', icon: <FileSearchOutlined />, label: t('证照查询', 'Certificates') },
  { key: 'import', icon: <ImportOutlined />, label: t('存量导入', 'Stock import') },
  { key: 'seals', icon: <VerifiedOutlined />, label: t('电子印章', 'Seals') },
  { key: 'agencies', icon: <BankOutlined />, label: t('登记机构', 'Agencies') },
  { key: 'users', icon: <TeamOutlined />, label: t('用户管理', 'Users') },
  { key: 'audit', icon: <AuditOutlined />, label: t('审计日志', 'Audit log') },
  { key: 'objections', icon: <ExceptionOutlined />, label: t('异议处理', 'Objections') },
];

export function StaffConsole() {
  const t = useT();
  const nav = useNavigate();
  const loc = useLocation();
  const me = useAsync(() => api<StaffMe>('/api/v1/auth/me'), []);
  const [collapsed, setCollapsed] = useState(window.innerWidth < 800);
  if (me.error instanceof ApiFailure && me.error.status === 401) return <Navigate to="/login" replace />;
  if (me.data && me.data.kind !== 'staff') return <Navigate to="/login" replace />;
  const key = loc.pathname.split('/')[2] || 'dashboard';
  const logout = async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    nav('/login');
  };
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} breakpoint="md" width={200}>
        <div style={{ color: '#fff', padding: '16px 12px', fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden' }}>
          {collapsed ? t('证照', 'bdc') : t('电子证照控制台', 'e-Certificate console')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[key]}
          items={MENU(t)}
          onClick={(e) => nav(`/console/${e.key}`)}
          aria-label={t('主菜单', 'Main menu')}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
          }}
        >
          <Typography.Text strong ellipsis>
            {me.data?.kind === 'staff' ? me.data.displayName : ''}
          </Typography.Text>
          <Space>
            <LangSwitch />
            <Button size="small" icon={<LogoutOutlined />} onClick={logout}>
              {t('退出', 'Sign out')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 16 }}>
          <Loadable state={me} what={t('登录信息', 'session')}>
            {(m) => (
              <Routes>
                <Route index element={<Dashboard />} />
                <Route path="dashboard" element={<Dashboard />} />
                <Route path="entries" element={<Entries />} />
                <Route path="seal-queue" element={<SealQueue me={m} />} />
                <Route path="certificates" element={<CertificateSearch />} />
                <Route path="certificates/:id" element={<CertificatePage />} />
                <Route path="import" element={<StockImport />} />
                <Route path="seals" element={<Seals me={m} />} />
                <Route path="agencies" element={<Agencies />} />
                <Route path="users" element={<Users />} />
                <Route path="audit" element={<Audit me={m} />} />
                <Route path="objections" element={<Objections />} />
              </Routes>
            )}
          </Loadable>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

interface Page<T> {
  total: number;
  items: T[];
}
const search = (body: object) => api<Page<CertificateSummary>>('/api/v1/certificates/search', { body });

function Dashboard() {
  const t = useT();
  const stats = useAsync(async () => {
    const statuses = ['pending-seal', 'issued', 'suspended', 'cancelled'];
    const counts = await Promise.all(statuses.map((status) => search({ status, pageSize: 1 }).then((p) => p.total)));
    const entries = await api<{ items: { recordedAt: string; outcome?: { document?: string } }[] }>(
      '/api/v1/register/entries',
      { query: { limit: 200 } },
    );
    const from = new Date(Date.now() - 7 * 86400_000);
    const usage = await api<{ summary: { action: string; result: string; count: number }[] }>('/api/v1/audit/usage', {
      query: { from: from.toISOString(), to: new Date().toISOString(), limit: 1 },
    }).catch(() => ({ summary: [] }));
    const today = new Date().toDateString();
    return {
      counts: Object.fromEntries(statuses.map((s, i) => [s, counts[i] ?? 0])) as Record<string, number>,
      todayEntries: entries.items.filter((e) => new Date(e.recordedAt).toDateString() === today).length,
      entries: entries.items,
      usage: usage.summary,
    };
  }, []);
  return (
    <Loadable state={stats} what={t('工作台统计', 'dashboard figures')}>
      {(s) => {
        const downloads = s.usage.filter((u) => /download/.test(u.action)).reduce((a, u) => a + u.count, 0);
        const failures = s.usage.filter((u) => u.result !== 'success').reduce((a, u) => a + u.count, 0);
        const days = [...Array(7)].map((_, i) => new Date(Date.now() - (6 - i) * 86400_000));
        return (
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Row gutter={[16, 16]}>
              {[
                [t('今日登簿', "Today's entries"), s.todayEntries],
                [t('待签章', 'Pending seal'), s.counts['pending-seal']],
                [t('已签发', 'Issued'), s.counts.issued],
                [t('近 7 日下载', 'Downloads (7 days)'), downloads],
                [t('近 7 日失败/拒绝', 'Failures (7 days)'), failures],
              ].map(([title, v]) => (
                <Col xs={12} md={8} lg={4} key={String(title)} flex="1">
                  <Card size="small">
                    <Statistic title={title} value={Number(v)} />
                  </Card>
                </Col>
              ))}
            </Row>
            <Row gutter={[16, 16]}>
              <Col xs={24} lg={12}>
                <Card title={t('证照状态分布', 'Certificates by status')} size="small">
                  <Chart
                    label={t('证照状态分布饼图', 'Pie chart of certificates by status')}
                    option={{
                      tooltip: { trigger: 'item' },
                      legend: { bottom: 0 },
                      series: [
                        {
                          type: 'pie',
                          radius: ['40%', '68%'],
                          data: [
                            { name: t('待签章', 'Pending'), value: s.counts['pending-seal'] },
                            { name: t('已签发', 'Issued'), value: s.counts.issued },
                            { name: t('已暂停', 'Suspended'), value: s.counts.suspended },
                            { name: t('已注销', 'Cancelled'), value: s.counts.cancelled },
                          ],
                        },
                      ],
                    }}
                  />
                </Card>
              </Col>
              <Col xs={24} lg={12}>
                <Card title={t('近 7 日登簿量', 'Entries, last 7 days')} size="small">
                  <Chart
                    label={t('近 7 日登簿量柱状图', 'Bar chart of entries in the last 7 days')}
                    option={{
                      tooltip: {},
                      grid: { left: 40, right: 16, top: 16, bottom: 32 },
                      xAxis: { type: 'category', data: days.map((d) => `${d.getMonth() + 1}-${d.getDate()}`) },
                      yAxis: { type: 'value', minInterval: 1 },
                      series: [
                        {
                          type: 'bar',
                          itemStyle: { color: '#1456c8' },
                          data: days.map(
                            (d) =>
                              s.entries.filter((e) => new Date(e.recordedAt).toDateString() === d.toDateString())
                                .length,
                          ),
                        },
                      ],
                    }}
                  />
                </Card>
              </Col>
            </Row>
          </Space>
        );
      }}
    </Loadable>
  );
}

function Entries() {
  const t = useT();
  const st = useAsync(
    () =>
      api<{
        items: {
          id: string;
          businessNo: string;
          registrationType: string;
          unitNo: string;
          recordedAt: string;
          source: string;
          outcome?: { document?: string; certificateId?: string; certificateNo?: string };
        }[];
      }>('/api/v1/register/entries', { query: { limit: 100 } }),
    [],
  );
  return (
    <Card title={t('登簿记录', 'Register entries')}>
      <Loadable state={st} what={t('登簿记录', 'register entries')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            locale={{ emptyText: t('暂无登簿记录', 'No entries yet') }}
            columns={[
              { title: t('业务号', 'Business no.'), dataIndex: 'businessNo' },
              { title: t('登记类型', 'Type'), dataIndex: 'registrationType' },
              { title: t('不动产单元号', 'Unit no.'), dataIndex: 'unitNo' },
              { title: t('登簿时间', 'Recorded'), dataIndex: 'recordedAt', render: fmtTime },
              { title: t('来源', 'Source'), dataIndex: 'source' },
              {
                title: t('证照', 'Certificate'),
                render: (_, r) =>
                  r.outcome?.certificateId ? (
                    <Link to={`/console/certificates/${r.outcome.certificateId}`}>{r.outcome.certificateNo}</Link>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}

function StatusTag({ c }: { c: Pick<CertificateSummary, 'status' | 'statusName'> }) {
  return <Tag color={STATUS_COLOR[c.status] ?? 'default'}>{c.statusName}</Tag>;
}

function certColumns(t: T) {
  return [
    {
      title: t('证号', 'Certificate no.'),
      dataIndex: 'certificateNo',
      render: (v: string, r: CertificateSummary) => <Link to={`/console/certificates/${r.id}`}>{v}</Link>,
    },
    { title: t('权利人', 'Holders'), dataIndex: 'holders' },
    { title: t('坐落', 'Location'), dataIndex: 'location', ellipsis: true },
    { title: t('状态', 'Status'), render: (_: unknown, r: CertificateSummary) => <StatusTag c={r} /> },
    { title: t('领用时间', 'Collected'), dataIndex: 'collectedAt', render: fmtTime },
  ];
}

function SealQueue({ me }: { me: StaffMe }) {
  const t = useT();
  const { message } = App.useApp();
  const [tick, setTick] = useState(0);
  const st = useAsync(() => search({ status: 'pending-seal', pageSize: 100 }), [tick]);
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [batch, setBatch] = useState<SealBatch>();
  const [err, setErr] = useState<string>();
  const canSeal = me.roles.includes('sealing-clerk');
  useEffect(() => {
    if (batch?.status !== 'running') return;
    const h = setTimeout(async () => {
      try {
        setBatch(await api<SealBatch>(`/api/v1/seal-batches/${batch.id}`));
      } catch (e) {
        setErr(errorText(e, t));
      }
    }, 400);
    return () => clearTimeout(h);
  }, [batch, t]);
  const [settled, setSettled] = useState<string>();
  useEffect(() => {
    if (batch && batch.status !== 'running' && settled !== batch.id) {
      setSettled(batch.id);
      setTick((n) => n + 1);
      setSelected([]);
      if (batch.status === 'done') message.success(t(`签章完成：${batch.sealed} 份`, `Sealed ${batch.sealed}`));
    }
  }, [batch, settled, message, t]);
  const start = async (v: { password: string }) => {
    setErr(undefined);
    try {
      // Second factor for a batch: the server has no step-up endpoint yet, so the clerk re-proves the session's
      // credentials (Henan 2020 三(一)4: only the authorised clerk seals); the TOTP step follows when enrolled.
      const r = await api<{ next: string }>('/api/v1/auth/login', {
        body: { username: me.username, password: v.password },
      });
      if (r.next !== 'done')
        throw new Error(t('请先完成动态验证码验证后再签章', 'Finish the TOTP step before sealing'));
      setConfirming(false);
      setBatch(await api<SealBatch>('/api/v1/seal-batches', { body: { certificateIds: selected } }));
    } catch (e) {
      setErr(errorText(e, t));
    }
  };
  return (
    <Card
      title={t('待签章证照', 'Certificates pending seal')}
      extra={
        <Button
          type="primary"
          disabled={!canSeal || selected.length === 0 || batch?.status === 'running'}
          onClick={() => setConfirming(true)}
          data-testid="seal-selected"
        >
          {t(`签章所选（${selected.length}）`, `Seal selected (${selected.length})`)}
        </Button>
      }
    >
      {!canSeal && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          message={t('仅缮证（签章）人员可签章。', 'Only sealing clerks can seal.')}
        />
      )}
      {err && <Alert type="error" showIcon role="alert" message={err} style={{ marginBottom: 12 }} />}
      {batch && (
        <div style={{ marginBottom: 12 }} aria-live="polite" data-testid="batch-progress">
          <Typography.Text>
            {t('签章进度', 'Sealing progress')}: {batch.sealed}/{batch.total}
            {batch.failed ? t(`，失败 ${batch.failed}`, `, failed ${batch.failed}`) : ''} —{' '}
            {batch.status === 'running'
              ? t('进行中', 'running')
              : batch.status === 'done'
                ? t('已完成', 'done')
                : t('失败', 'failed')}
          </Typography.Text>
          <Progress
            percent={batch.total ? Math.round(((batch.sealed + batch.failed) / batch.total) * 100) : 100}
            status={batch.status === 'failed' ? 'exception' : batch.status === 'done' ? 'success' : 'active'}
          />
        </div>
      )}
      <Loadable state={st} what={t('待签章队列', 'pending-seal queue')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            rowSelection={{ selectedRowKeys: selected, onChange: (k) => setSelected(k as string[]) }}
            locale={{ emptyText: t('没有待签章的证照', 'Nothing waits for a seal') }}
            columns={certColumns(t)}
          />
        )}
      </Loadable>
      <Modal
        open={confirming}
        title={t('确认签章', 'Confirm sealing')}
        onCancel={() => setConfirming(false)}
        footer={null}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t(
            `将以本机构电子印章签署所选 ${selected.length} 份证照。请再次输入密码确认身份。`,
            `The agency seal will be applied to ${selected.length} certificate(s). Enter your password again to confirm.`,
          )}
        </Typography.Paragraph>
        <Form layout="vertical" onFinish={start}>
          <Form.Item label={t('密码', 'Password')} name="password" rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" block data-testid="confirm-seal">
            {t('确认签章', 'Seal now')}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}

function CertificateSearch() {
  const t = useT();
  const [q, setQ] = useState<Record<string, string>>({});
  const [page, setPage] = useState(1);
  const st = useAsync(() => search({ ...q, page, pageSize: 20 }), [q, page]);
  return (
    <Card title={t('证照查询', 'Certificate search')}>
      <Form
        layout="inline"
        onFinish={(v: Record<string, string | undefined>) => {
          setPage(1);
          setQ(Object.fromEntries(Object.entries(v).filter(([, x]) => x)) as Record<string, string>);
        }}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item label={t('证号', 'Certificate no.')} name="certificateNo">
          <Input allowClear />
        </Form.Item>
        <Form.Item label={t('证照标识', 'Identifier')} name="identifier">
          <Input allowClear />
        </Form.Item>
        <Form.Item label={t('不动产单元号', 'Unit no.')} name="unitNo">
          <Input allowClear />
        </Form.Item>
        <Form.Item label={t('权利人证件号', 'Holder ID no.')} name="holderIdNumber">
          <Input allowClear />
        </Form.Item>
        <Form.Item label={t('状态', 'Status')} name="status">
          <Select
            allowClear
            style={{ width: 140 }}
            options={[
              { value: 'pending-seal', label: t('待签章', 'Pending seal') },
              { value: 'issued', label: t('已签发', 'Issued') },
              { value: 'suspended', label: t('已暂停', 'Suspended') },
              { value: 'cancelled', label: t('已注销', 'Cancelled') },
            ]}
          />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('查询', 'Search')}
        </Button>
      </Form>
      <Loadable state={st} what={t('证照查询', 'certificate search')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            pagination={{ current: page, total: d.total, pageSize: 20, onChange: setPage }}
            locale={{ emptyText: t('没有符合条件的证照', 'No certificate matches') }}
            columns={certColumns(t)}
          />
        )}
      </Loadable>
    </Card>
  );
}

// 附件2 item names for the face data keys (the signed 信息二维码 payload is not shown: it is long and opaque).
const FACE_LABELS: Record<string, string> = {
  serialNo: '编号',
  certificateNo: '证号',
  identifier: '电子证照标识',
  agencyName: '登记机构',
  agencyCode: '登记机构代码',
  registeredOn: '登簿日期',
  holders: '权利人',
  coOwnership: '共有情况',
  coOwners: '共有人',
  separateCertificates: '是否分别持证',
  unitNo: '不动产单元号',
  location: '坐落',
  use: '用途',
  area: '面积',
  areaUnit: '面积单位',
  rightType: '权利类型',
  rightNature: '权利性质',
  termFrom: '使用期限起',
  termTo: '使用期限止',
  otherRights: '权利其他状况',
  notes: '附记',
  queryQr: '查询二维码',
  boundaryPoints: '界址点',
  matter: '证明权利或事项',
  obligee: '权利人（申请人）',
  obligor: '义务人',
};
const HIDDEN_FACE = new Set(['kind', 'infoQr', 'useCode', 'areaUnitCode', 'rightTypeCode', 'rightNatureCode']);

const ACTIONS = (t: T) => [
  { value: 'cancel', label: t('注销', 'Cancel') },
  { value: 'suspend', label: t('暂停使用', 'Suspend') },
  { value: 'resume', label: t('恢复使用', 'Resume') },
  { value: 'pledge', label: t('抵押标注', 'Pledge') },
  { value: 'release-pledge', label: t('解除抵押', 'Release pledge') },
  { value: 'void', label: t('作废', 'Void') },
  { value: 'revoke', label: t('撤销', 'Revoke') },
];

function CertificatePage() {
  const t = useT();
  const { id = '' } = useParams();
  const { message } = App.useApp();
  const st = useAsync(() => api<CertificateDetail>(`/api/v1/certificates/${id}`), [id]);
  const access = useAsync(
    () =>
      api<{
        items: {
          seq: string;
          at: string;
          actorKind: string;
          action: string;
          purpose: string | null;
          caseNo: string | null;
          result: string;
          clientId: string | null;
        }[];
      }>(`/api/v1/audit/certificates/${id}`).catch((e) => {
        // The access trail is for auditors, agency admins and registrars; others get 404 (existence hidden).
        if (e instanceof ApiFailure && e.status === 404) return null;
        throw e;
      }),
    [id],
  );
  const [acting, setActing] = useState(false);
  const act = async (v: { action: string; reason: string }) => {
    try {
      await api(`/api/v1/certificates/${id}/status`, { body: v });
      message.success(t('已办理', 'Done'));
      setActing(false);
      st.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Loadable state={st} what={t('证照详情', 'certificate detail')}>
      {(c) => (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Card
            title={c.certificateNo}
            extra={
              <Space wrap>
                <StatusTag c={c} />
                {c.hasFiles && (
                  <>
                    <Button href={`/api/v1/certificates/${id}/files/ofd`} data-testid="download-ofd">
                      OFD
                    </Button>
                    <Button href={`/api/v1/certificates/${id}/files/pdf`} target="_blank" data-testid="download-pdf">
                      PDF
                    </Button>
                  </>
                )}
                <Button danger onClick={() => setActing(true)}>
                  {t('状态变更', 'Change status')}
                </Button>
              </Space>
            }
          >
            <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
              <Descriptions.Item label={t('证照标识', 'Identifier')}>{c.identifier}</Descriptions.Item>
              <Descriptions.Item label={t('版本', 'Version')}>{c.version}</Descriptions.Item>
              <Descriptions.Item label={t('权利人（脱敏）', 'Holders (masked)')}>{c.holders}</Descriptions.Item>
              <Descriptions.Item label={t('不动产单元号', 'Unit no.')}>{c.unitNo}</Descriptions.Item>
              <Descriptions.Item label={t('坐落', 'Location')}>{c.location}</Descriptions.Item>
              <Descriptions.Item label={t('登簿日期', 'Registered on')}>{c.registeredOn}</Descriptions.Item>
              <Descriptions.Item label={t('签章时间', 'Sealed at')}>{fmtTime(c.sealedAt)}</Descriptions.Item>
              <Descriptions.Item label={t('领用时间', 'Collected at')}>{fmtTime(c.collectedAt)}</Descriptions.Item>
              {c.statusReason && (
                <Descriptions.Item label={t('状态原因', 'Status reason')}>{c.statusReason}</Descriptions.Item>
              )}
            </Descriptions>
          </Card>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <Card title={t('照面信息', 'Face data')} size="small">
                <Descriptions size="small" column={1}>
                  {Object.entries(c.face)
                    .filter(([k]) => !HIDDEN_FACE.has(k))
                    .map(([k, v]) => (
                      <Descriptions.Item key={k} label={t(FACE_LABELS[k] ?? k, k)}>
                        {typeof v === 'object' ? JSON.stringify(v) : String(v)}
                      </Descriptions.Item>
                    ))}
                </Descriptions>
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card title={t('事件时间线', 'Timeline')} size="small">
                <Timeline
                  items={c.events.map((e) => ({
                    children: (
                      <>
                        <b>{e.event}</b> {e.from ? `${e.from} → ` : ''}
                        {e.to}
                        <br />
                        <Typography.Text type="secondary">
                          {fmtTime(e.at)} {e.reason ?? ''}
                        </Typography.Text>
                      </>
                    ),
                  }))}
                />
              </Card>
            </Col>
          </Row>
          {c.hasFiles && (
            <Card title={t('文件预览（PDF 便利副本）', 'Preview (PDF convenience copy)')} size="small">
              <iframe
                title={t('证照预览', 'Certificate preview')}
                src={`/api/v1/certificates/${id}/files/pdf`}
                style={{ width: '100%', height: 520, border: '1px solid #d9d9d9' }}
              />
            </Card>
          )}
          <Card title={t('下载与访问记录', 'Downloads and accesses')} size="small">
            <Loadable state={access} what={t('访问记录', 'access log')}>
              {(a) =>
                a === null ? (
                  <Alert
                    type="info"
                    showIcon
                    message={t(
                      '访问记录仅审计人员、机构管理员和登簿人员可查看。',
                      'Only auditors, agency admins and registrars see the access trail.',
                    )}
                  />
                ) : (
                  <Table
                    rowKey="seq"
                    size="small"
                    dataSource={a.items}
                    scroll={{ x: 700 }}
                    locale={{ emptyText: t('暂无访问记录', 'No access yet') }}
                    columns={[
                      { title: t('时间', 'Time'), dataIndex: 'at', render: fmtTime },
                      { title: t('访问方', 'Actor'), render: (_, r) => r.clientId ?? r.actorKind },
                      { title: t('操作', 'Action'), dataIndex: 'action', render: (v: string) => actionName(v, t) },
                      { title: t('用证事由', 'Purpose'), dataIndex: 'purpose' },
                      { title: t('业务编号', 'Case no.'), dataIndex: 'caseNo' },
                      { title: t('结果', 'Result'), dataIndex: 'result' },
                    ]}
                  />
                )
              }
            </Loadable>
          </Card>
          <Modal
            open={acting}
            title={t('状态变更', 'Change status')}
            onCancel={() => setActing(false)}
            footer={null}
            destroyOnHidden
          >
            <Form layout="vertical" onFinish={act}>
              <Form.Item label={t('操作', 'Action')} name="action" rules={[{ required: true }]}>
                <Select options={ACTIONS(t)} />
              </Form.Item>
              <Form.Item
                label={t('原因（必填）', 'Reason (required)')}
                name="reason"
                rules={[{ required: true, max: 500 }]}
              >
                <Input.TextArea rows={3} />
              </Form.Item>
              <Button type="primary" danger htmlType="submit" block data-testid="confirm-status">
                {t('确认', 'Confirm')}
              </Button>
            </Form>
          </Modal>
        </Space>
      )}
    </Loadable>
  );
}

function StockImport() {
  const t = useT();
  return (
    <Card title={t('存量证照导入', 'Stock import')}>
      <ComingSoon what={t('存量导入（网页上传）', 'stock import upload')} />
      <Typography.Paragraph type="secondary">
        {t(
          '当前可用命令行：bdcert import-stock <文件>，生成校验报告。',
          'Meanwhile use the CLI: bdcert import-stock <file>, which prints the validation report.',
        )}
      </Typography.Paragraph>
    </Card>
  );
}

interface Seal {
  id: string;
  esId: string;
  name: string;
  status: string;
  validFrom: string;
  validTo: string;
  filingNo: string | null;
  statusReason: string | null;
  imageUrl: string;
}
function Seals({ me }: { me: StaffMe }) {
  const t = useT();
  const st = useAsync(() => api<{ items: Seal[] }>(`/api/v1/agencies/${me.agencyId}/seals`), [me.agencyId]);
  const name: Record<string, string> = {
    active: t('有效', 'Active'),
    suspended: t('停用', 'Suspended'),
    revoked: t('注销', 'Revoked'),
  };
  return (
    <Card title={t('电子印章', 'Electronic seals')}>
      <Loadable state={st} what={t('电子印章', 'seals')} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            columns={[
              {
                title: t('印模', 'Image'),
                render: (_, s) => (
                  <img src={s.imageUrl} alt={t(`${s.name}印模`, `${s.name} image`)} width={64} height={64} />
                ),
              },
              { title: t('印章名称', 'Name'), dataIndex: 'name' },
              { title: t('印章编码', 'Seal code'), dataIndex: 'esId' },
              {
                title: t('状态', 'Status'),
                render: (_, s) => (
                  <Tag color={s.status === 'active' ? 'green' : 'red'}>{name[s.status] ?? s.status}</Tag>
                ),
              },
              { title: t('有效期至', 'Valid to'), dataIndex: 'validTo', render: fmtTime },
              { title: t('备案号', 'Filing no.'), dataIndex: 'filingNo' },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}

function Agencies() {
  const t = useT();
  const st = useAsync(
    () =>
      api<{
        items: {
          id: string;
          name: string;
          uscc: string;
          regionCode: string;
          level: string;
          sealingMode: string;
          sealingTimes: string[];
        }[];
      }>('/api/v1/agencies'),
    [],
  );
  return (
    <Card title={t('登记机构', 'Registration agencies')}>
      <Loadable state={st} what={t('登记机构', 'agencies')} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 700 }}
            columns={[
              { title: t('名称', 'Name'), dataIndex: 'name' },
              { title: t('统一社会信用代码', 'USCC'), dataIndex: 'uscc' },
              { title: t('行政区划', 'Region'), dataIndex: 'regionCode' },
              {
                title: t('签章方式', 'Sealing'),
                render: (_, a) => `${a.sealingMode} ${a.sealingTimes.join(' ')}`,
              },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}

const ROLE = (t: T): Record<string, string> => ({
  registrar: t('登簿人员', 'Registrar'),
  'sealing-clerk': t('缮证（签章）人员', 'Sealing clerk'),
  'agency-admin': t('机构管理员', 'Agency admin'),
  auditor: t('审计人员', 'Auditor'),
  'province-admin': t('省级管理员', 'Province admin'),
});

function Users() {
  const t = useT();
  const st = useAsync(
    () =>
      api<{
        items: {
          id: string;
          username: string;
          displayName: string;
          roles: string[];
          totpEnabled: boolean;
          locked: boolean;
          disabled: boolean;
          lastLoginAt: string | null;
        }[];
      }>('/api/v1/admin/users'),
    [],
  );
  const roles = ROLE(t);
  return (
    <Card title={t('用户管理', 'Users')}>
      <Loadable state={st} what={t('用户管理', 'users')} empty={(d) => d.items.length === 0}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            columns={[
              { title: t('用户名', 'User name'), dataIndex: 'username' },
              { title: t('姓名', 'Name'), dataIndex: 'displayName' },
              { title: t('角色', 'Roles'), render: (_, u) => u.roles.map((r) => <Tag key={r}>{roles[r] ?? r}</Tag>) },
              {
                title: t('动态验证码', 'TOTP'),
                render: (_, u) => (u.totpEnabled ? t('已绑定', 'Enrolled') : t('未绑定', 'Not enrolled')),
              },
              {
                title: t('状态', 'State'),
                render: (_, u) =>
                  u.disabled ? (
                    <Tag color="red">{t('停用', 'Disabled')}</Tag>
                  ) : u.locked ? (
                    <Tag color="orange">{t('锁定', 'Locked')}</Tag>
                  ) : (
                    <Tag color="green">{t('正常', 'Active')}</Tag>
                  ),
              },
              { title: t('最近登录', 'Last sign-in'), dataIndex: 'lastLoginAt', render: fmtTime },
            ]}
          />
        )}
      </Loadable>
    </Card>
  );
}

function Audit({ me }: { me: StaffMe }) {
  const t = useT();
  const [days, setDays] = useState(7);
  const range = useMemo(
    () => ({ from: new Date(Date.now() - days * 86400_000).toISOString(), to: new Date().toISOString() }),
    [days],
  );
  const st = useAsync(
    () =>
      api<{
        summary: { action: string; clientId: string | null; result: string; count: number }[];
        items: {
          seq: string;
          at: string;
          actorKind: string;
          clientId: string | null;
          action: string;
          certificateId: string | null;
          purpose: string | null;
          caseNo: string | null;
          result: string;
          reason: string | null;
        }[];
      }>('/api/v1/audit/usage', { query: { ...range, agencyId: me.agencyId, limit: 200 } }),
    [range],
  );
  const chain = useAsync(
    () => api<{ ok: boolean; checked?: number; brokenAt?: string | null }>('/api/v1/audit/chain'),
    [],
  );
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Card size="small" title={t('审计链校验', 'Audit chain check')}>
        {chain.loading ? (
          t('校验中…', 'Checking…')
        ) : chain.error !== undefined ? (
          isMissing(chain.error) ? (
            <Alert
              type="info"
              showIcon
              message={t(
                '链校验接口建设中（命令行 bdcert audit verify 可用时请使用）',
                'Chain check endpoint coming soon',
              )}
            />
          ) : (
            <Alert type="error" showIcon message={errorText(chain.error, t)} />
          )
        ) : chain.data?.ok ? (
          <Alert
            type="success"
            showIcon
            message={t(
              `审计链完整（已校验 ${chain.data.checked ?? '—'} 条）`,
              `Chain intact (${chain.data.checked ?? '—'} records)`,
            )}
          />
        ) : (
          <Alert
            type="error"
            showIcon
            message={t(`审计链断裂：${chain.data?.brokenAt ?? ''}`, `Chain broken at ${chain.data?.brokenAt ?? ''}`)}
          />
        )}
      </Card>
      <Card
        title={t('证照使用记录', 'Certificate usage')}
        extra={
          <Select
            aria-label={t('时间范围', 'Time range')}
            value={days}
            onChange={setDays}
            options={[
              { value: 1, label: t('近 1 日', 'Last day') },
              { value: 7, label: t('近 7 日', 'Last 7 days') },
              { value: 30, label: t('近 30 日', 'Last 30 days') },
            ]}
          />
        }
      >
        <Loadable state={st} what={t('审计日志', 'audit log')}>
          {(d) => (
            <>
              {d.summary.length > 0 && (
                <Chart
                  height={220}
                  label={t('按操作统计', 'Counts by action')}
                  option={{
                    tooltip: {},
                    grid: { left: 140, right: 16, top: 8, bottom: 24 },
                    yAxis: { type: 'category', data: d.summary.map((s) => `${s.action} ${s.result}`) },
                    xAxis: { type: 'value', minInterval: 1 },
                    series: [{ type: 'bar', itemStyle: { color: '#1456c8' }, data: d.summary.map((s) => s.count) }],
                  }}
                />
              )}
              <Table
                rowKey="seq"
                size="small"
                dataSource={d.items}
                scroll={{ x: 900 }}
                locale={{ emptyText: t('此时间段无使用记录', 'No usage in this period') }}
                columns={[
                  { title: '#', dataIndex: 'seq' },
                  { title: t('时间', 'Time'), dataIndex: 'at', render: fmtTime },
                  { title: t('访问方', 'Actor'), render: (_, r) => r.clientId ?? r.actorKind },
                  { title: t('操作', 'Action'), dataIndex: 'action', render: (v: string) => actionName(v, t) },
                  { title: t('证照', 'Certificate'), dataIndex: 'certificateId', ellipsis: true },
                  { title: t('用证事由', 'Purpose'), dataIndex: 'purpose' },
                  { title: t('业务编号', 'Case no.'), dataIndex: 'caseNo' },
                  { title: t('结果', 'Result'), dataIndex: 'result' },
                ]}
              />
            </>
          )}
        </Loadable>
      </Card>
    </Space>
  );
}

const OBJ_STATUS = (t: T): Record<string, string> => ({
  submitted: t('已提交', 'Submitted'),
  processing: t('核实中', 'Processing'),
  resolved: t('已办结', 'Resolved'),
  rejected: t('已驳回', 'Rejected'),
});

function Objections() {
  const t = useT();
  const { message } = App.useApp();
  const st = useAsync(
    () =>
      api<{
        items: {
          id: string;
          certificateId: string;
          filerKind: string;
          reason: string;
          status: string;
          outcome: string | null;
          createdAt: string;
        }[];
      }>('/api/v1/objections'),
    [],
  );
  const [editing, setEditing] = useState<string>();
  const names = OBJ_STATUS(t);
  const save = async (v: { status: string; outcome?: string }) => {
    try {
      await api(`/api/v1/objections/${editing}`, { method: 'PATCH', body: v });
      setEditing(undefined);
      st.reload();
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  return (
    <Card title={t('异议处理', 'Objections')}>
      <Loadable state={st} what={t('异议', 'objections')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            locale={{ emptyText: t('暂无异议', 'No objections') }}
            columns={[
              { title: t('提交时间', 'Filed'), dataIndex: 'createdAt', render: fmtTime },
              { title: t('证照标识', 'Certificate'), dataIndex: 'certificateId', ellipsis: true },
              { title: t('异议内容', 'Reason'), dataIndex: 'reason' },
              { title: t('状态', 'Status'), render: (_, o) => <Tag>{names[o.status] ?? o.status}</Tag> },
              { title: t('处理结果', 'Outcome'), dataIndex: 'outcome' },
              {
                title: t('操作', 'Action'),
                render: (_, o) => (
                  <Button
                    size="small"
                    onClick={() => setEditing(o.id)}
                    disabled={o.status === 'resolved' || o.status === 'rejected'}
                  >
                    {t('处理', 'Handle')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Loadable>
      <Modal
        open={!!editing}
        title={t('处理异议', 'Handle objection')}
        onCancel={() => setEditing(undefined)}
        footer={null}
        destroyOnHidden
      >
        <Form layout="vertical" onFinish={save}>
          <Form.Item label={t('状态', 'Status')} name="status" rules={[{ required: true }]}>
            <Select options={Object.entries(names).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item label={t('处理结果', 'Outcome')} name="outcome">
            <Input.TextArea rows={3} />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            {t('保存', 'Save')}
          </Button>
        </Form>
      </Modal>
    </Card>
  );
}
