import { GlobalOutlined } from '@ant-design/icons';
import { Button, Layout, Space, Typography } from 'antd';
import { type ReactNode, useContext } from 'react';
import { Link } from 'react-router';
import { LangContext, useT } from './i18n';

export function LangSwitch() {
  const { lang, setLang } = useContext(LangContext);
  return (
    <Button
      size="small"
      icon={<GlobalOutlined />}
      onClick={() => setLang(lang === 'en' ? 'zh' : 'en')}
      aria-label={lang === 'en' ? '切换到中文' : 'Switch to English'}
      data-testid="lang-switch"
    >
      {lang === 'en' ? '中文' : 'English'}
    </Button>
  );
}

/** Public pages (portals, verification): a plain header, centred content, phone-friendly. */
export function PublicFrame({ title, extra, children }: { title: string; extra?: ReactNode; children: ReactNode }) {
  const t = useT();
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header
        style={{
          background: '#1456c8',
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'space-between',
          padding: '0 16px',
          gap: 8,
        }}
      >
        <Link to="/" style={{ color: '#fff', fontWeight: 600, fontSize: 16, whiteSpace: 'nowrap', overflow: 'hidden' }}>
          {t('不动产登记电子证照', 'Real-estate e-certificates')}
        </Link>
        <Space>
          {extra}
          <LangSwitch />
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: '16px', maxWidth: 1100, width: '100%', margin: '0 auto' }}>
        <Typography.Title level={3} style={{ marginTop: 8 }}>
          {title}
        </Typography.Title>
        {children}
      </Layout.Content>
      <Layout.Footer style={{ textAlign: 'center', color: '#595959' }}>
        bdcert · {t('不动产登记电子证照与全省通办平台', 'Real-estate registration e-certificate platform')}
      </Layout.Footer>
    </Layout>
  );
}
