import {
  AuditOutlined,
  BankOutlined,
  DashboardOutlined,
  ExceptionOutlined,
  FileSearchOutlined,
  ImportOutlined,
  LogoutOutlined,
  MenuFoldOutlined,
  MenuOutlined,
  MenuUnfoldOutlined,
  SafetyCertificateOutlined,
  SnippetsOutlined,
  SyncOutlined,
  TeamOutlined,
  VerifiedOutlined,
} from '@ant-design/icons';
import { Alert, Button, Card, Drawer, Form, Grid, Input, Layout, Menu, Result, Space, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ApiFailure, api, type StaffMe, type StaffRole } from '../api';
import { errorText, Loadable, NoPermission, useAsync } from '../common';
import { useT } from '../i18n';
import { LangSwitch } from '../shell';
import { Agencies } from './console/agencies';
import { Audit } from './console/audit';
import { CertificatePage, CertificateSearch } from './console/certificates';
import { Dashboard } from './console/dashboard';
import { Entries, EntryDetail } from './console/entries';
import { StockImportPage } from './console/imports';
import { Objections } from './console/objections';
import { SealQueue } from './console/sealing';
import { Seals } from './console/seals';
import { hasRole, ROLE_NAMES, type T } from './console/shared';
import { Users } from './console/users';
import { SyncStatusPage } from './sync';

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
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5', padding: 16 }}>
      <Card style={{ width: 380, maxWidth: '100%' }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }}>
          <Typography.Title level={1} style={{ margin: 0, fontSize: 20 }}>
            {t('工作人员登录', 'Staff sign-in')}
          </Typography.Title>
          <LangSwitch />
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('不动产登记电子证照管理控制台', 'Real-estate e-certificate console')}
        </Typography.Paragraph>
        {error && <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          {step === 'password' ? (
            <>
              <Form.Item
                label={t('用户名', 'User name')}
                name="username"
                rules={[{ required: true, message: t('请输入用户名', 'Enter your user name') }]}
              >
                <Input autoComplete="username" autoFocus />
              </Form.Item>
              <Form.Item
                label={t('密码', 'Password')}
                name="password"
                rules={[{ required: true, message: t('请输入密码', 'Enter your password') }]}
              >
                <Input.Password autoComplete="current-password" />
              </Form.Item>
            </>
          ) : (
            <Form.Item
              label={t('动态验证码（6 位）', 'Authenticator code (6 digits)')}
              name="code"
              rules={[{ required: true, pattern: /^\d{6}$/, message: t('请输入 6 位数字', 'Enter 6 digits') }]}
            >
              <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} autoFocus />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {step === 'password' ? t('登录', 'Sign in') : t('验证', 'Verify')}
          </Button>
        </Form>
        <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0, textAlign: 'center' }}>
          <Link to="/">{t('返回门户首页', 'Back to the portal')}</Link>
        </Typography.Paragraph>
      </Card>
    </main>
  );
}

interface MenuEntry {
  key: string;
  icon: ReactNode;
  label: string;
  /** Roles that may open the page (the server's guards; a province admin passes all); undefined = every staff user. */
  roles?: StaffRole[];
}

/** The console menu; each entry names the roles the server lets in, so a user sees only what works for them. */
const MENU = (t: T): MenuEntry[] => [
  { key: 'dashboard', icon: <DashboardOutlined />, label: t('工作台', 'Dashboard') },
  { key: 'entries', icon: <SnippetsOutlined />, label: t('登簿记录', 'Register entries') },
  {
    key: 'seal-queue',
    icon: <SafetyCertificateOutlined />,
    label: t('待签章', 'Pending seal'),
    roles: ['sealing-clerk', 'agency-admin', 'registrar'],
  },
  { key: 'certificates', icon: <FileSearchOutlined />, label: t('证照查询', 'Certificates') },
  {
    key: 'import',
    icon: <ImportOutlined />,
    label: t('存量导入', 'Stock import'),
    roles: ['agency-admin', 'registrar'],
  },
  {
    key: 'seals',
    icon: <VerifiedOutlined />,
    label: t('电子印章', 'Seals'),
    roles: ['agency-admin', 'sealing-clerk', 'auditor'],
  },
  { key: 'agencies', icon: <BankOutlined />, label: t('登记机构', 'Agencies'), roles: ['agency-admin'] },
  { key: 'users', icon: <TeamOutlined />, label: t('用户管理', 'Users'), roles: ['agency-admin'] },
  { key: 'audit', icon: <AuditOutlined />, label: t('审计日志', 'Audit log'), roles: ['auditor', 'agency-admin'] },
  {
    key: 'objections',
    icon: <ExceptionOutlined />,
    label: t('异议处理', 'Objections'),
    roles: ['registrar', 'agency-admin', 'auditor'],
  },
  // docs/sync.md: push to the province (city) or the cities received (province), and reconciliations.
  { key: 'sync', icon: <SyncOutlined />, label: t('同步状态', 'Sync status'), roles: ['agency-admin', 'auditor'] },
];

export function StaffConsole() {
  const t = useT();
  const nav = useNavigate();
  const loc = useLocation();
  const screens = Grid.useBreakpoint();
  // Before the first measurement useBreakpoint is empty: fall back to the window width.
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const me = useAsync(() => api<StaffMe>('/api/v1/auth/me'), []);
  const [collapsed, setCollapsed] = useState(window.innerWidth < 1000);
  const [drawer, setDrawer] = useState(false);
  if (me.error instanceof ApiFailure && me.error.status === 401) return <Navigate to="/login" replace />;
  if (me.data && me.data.kind !== 'staff') return <Navigate to="/login" replace />;
  const key = loc.pathname.split('/')[2] || 'dashboard';
  const roles = me.data?.roles ?? [];
  const menu = MENU(t);
  const items = menu.filter((m) => hasRole(roles, m.roles)).map(({ key, icon, label }) => ({ key, icon, label }));
  const logout = async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
    nav('/login');
  };
  const roleNames = ROLE_NAMES(t);
  const guard = (k: string, page: ReactNode) => {
    const need = menu.find((m) => m.key === k)?.roles;
    return hasRole(roles, need) ? page : <NoPermission need={need?.map((r) => roleNames[r]).join('、')} />;
  };
  const nav_ = (
    <Menu
      theme="dark"
      mode="inline"
      selectedKeys={[key]}
      items={items}
      onClick={(e) => {
        setDrawer(false);
        nav(`/console/${e.key}`);
      }}
      aria-label={t('主菜单', 'Main menu')}
      data-testid="console-menu"
    />
  );
  const title = t('电子证照控制台', 'e-Certificate console');
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!phone && (
        <Layout.Sider collapsible collapsed={collapsed} trigger={null} width={200}>
          <div
            style={{ color: '#fff', padding: '16px 12px', fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden' }}
          >
            {collapsed ? t('证照', 'bdc') : title}
          </div>
          {nav_}
        </Layout.Sider>
      )}
      {phone && (
        <Drawer
          open={drawer}
          onClose={() => setDrawer(false)}
          placement="left"
          size={240}
          title={title}
          styles={{ body: { padding: 0, background: '#001529' } }}
          data-testid="menu-drawer"
        >
          {nav_}
        </Drawer>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 12px',
            lineHeight: 1.5,
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
            gap: 8,
          }}
        >
          <Space style={{ minWidth: 0 }}>
            <Button
              type="text"
              icon={phone ? <MenuOutlined /> : collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => (phone ? setDrawer(true) : setCollapsed(!collapsed))}
              aria-label={
                phone
                  ? t('打开菜单', 'Open the menu')
                  : collapsed
                    ? t('展开菜单', 'Expand the menu')
                    : t('收起菜单', 'Collapse the menu')
              }
              aria-expanded={phone ? drawer : !collapsed}
              data-testid="menu-toggle"
            />
            <Typography.Text strong ellipsis style={{ maxWidth: phone ? 120 : 420 }}>
              {me.data?.kind === 'staff' ? me.data.displayName : ''}
              {!phone && me.data?.kind === 'staff' && (
                <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
                  {' '}
                  · {me.data.roles.map((r) => roleNames[r] ?? r).join('、')}
                </Typography.Text>
              )}
            </Typography.Text>
          </Space>
          <Space size={phone ? 4 : 8}>
            <LangSwitch />
            <Button size="small" icon={<LogoutOutlined />} onClick={logout} aria-label={t('退出登录', 'Sign out')}>
              {phone ? null : t('退出', 'Sign out')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: phone ? 8 : 16, minWidth: 0 }}>
          <Loadable state={me} what={t('登录信息', 'the session')}>
            {(m) => (
              <Routes>
                <Route index element={<Dashboard />} />
                <Route path="dashboard" element={<Dashboard />} />
                <Route path="entries" element={<Entries />} />
                <Route
                  path="entries/:id"
                  element={
                    <>
                      <Entries />
                      <EntryDetail />
                    </>
                  }
                />
                <Route path="seal-queue" element={guard('seal-queue', <SealQueue me={m} />)} />
                <Route path="certificates" element={<CertificateSearch />} />
                <Route path="certificates/:id" element={<CertificatePage me={m} />} />
                <Route path="import" element={guard('import', <StockImportPage />)} />
                <Route path="import/:id" element={guard('import', <StockImportPage />)} />
                <Route path="seals" element={guard('seals', <Seals me={m} />)} />
                <Route path="agencies" element={guard('agencies', <Agencies me={m} />)} />
                <Route path="users" element={guard('users', <Users me={m} />)} />
                <Route path="audit" element={guard('audit', <Audit me={m} />)} />
                <Route path="objections" element={guard('objections', <Objections me={m} />)} />
                <Route path="sync" element={guard('sync', <SyncStatusPage roles={m.roles} />)} />
                <Route
                  path="*"
                  element={
                    <Result
                      status="404"
                      title={t('页面不存在', 'Page not found')}
                      extra={
                        <Link to="/console">
                          <Button type="primary">{t('返回工作台', 'Back to the dashboard')}</Button>
                        </Link>
                      }
                    />
                  }
                />
              </Routes>
            )}
          </Loadable>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
